# zkts: a wire-compatible Apache ZooKeeper server on Node.js.
FROM node:20-slim AS build
WORKDIR /opt/zkts
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-slim
WORKDIR /opt/zkts
COPY --from=build /opt/zkts/node_modules ./node_modules
COPY --from=build /opt/zkts/dist ./dist
COPY bin ./bin
COPY package.json ./
# The startup cache (src/util/startupCache.ts) checks each module file's ctime, which the copy above
# changed, so it is written again here. It holds where containers run on the layers it was built in;
# where layers are unpacked anew (a pulled image) files get new ctimes and a first start rewrites it.
RUN node dist/util/warmStartupCache.js
COPY docker/zoo.cfg /conf/zoo.cfg
# client port, quorum and election ports (for the ensemble), AdminServer, Prometheus
EXPOSE 2181 2888 3888 8080 7000
VOLUME ["/data", "/datalog"]
ENTRYPOINT ["node", "bin/zkts.js", "start-foreground"]
CMD ["/conf/zoo.cfg"]
