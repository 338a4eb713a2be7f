/**
 * Writes a dist directory's startup cache (startupCache.ts) after running what a server runs as it
 * starts and serves its first session: `zkts start-foreground` on a scratch data dir and a loopback
 * port, one session doing the common requests, then its shutdown. V8 caches the code of every function
 * compiled by then, so a real start does not compile them as its first client waits: a new server's
 * first session took ~9 ms to be answered with only the modules' top-level code cached, mostly the
 * interpreter compiling the request path.
 *
 * The server is started with the properties that would change V8 flags turned off: code cached under
 * changed flags is refused. Run as a script (`node dist/util/warmStartupCache.js [distDir]`) with the
 * node flags the server will have, as `npm run build` and the bench do.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort } from './freePort';
import { StartupCache } from './startupCache';

export interface WarmResult {
  modules: number;
  written: boolean;
  /** Why the server part did not run to its end (the cache is written either way), or null. */
  failure: string | null;
}

async function serveOneSession(cache: StartupCache, dir: string): Promise<void> {
  const cli = cache.load('cli.js') as typeof import('../cli');
  const port = await freePort();
  const cfg = path.join(dir, 'zoo.cfg');
  fs.writeFileSync(cfg, `tickTime=2000\ndataDir=${path.join(dir, 'data')}\nclientPort=${port}\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\n`);
  const props = ['-Dzkts.log.level=error', '-Dzkts.youngGenerationMb=0', '-Dzkts.heapGrowthPercent=0', '-Dzkts.idleGc=false'];
  const exited = cli.main(['start-foreground', ...props, cfg]);
  // The client is loaded with plain require(): its code is not the server's, and stays out of the cache.
  const { RawClient } = require('../client/rawClient') as typeof import('../client/rawClient');
  const R = require('../jute/records') as typeof import('../jute/records');
  const { OpCode } = require('../protocol/opCodes') as typeof import('../protocol/opCodes');
  const { CreateFlag } = require('../protocol/enums') as typeof import('../protocol/enums');
  let c: import('../client/rawClient').RawClient | null = null;
  for (let i = 0; c === null; i++) {
    try {
      c = await RawClient.connect({ port, timeout: 30000 });
    } catch (e) {
      if (i >= 500) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
  const data = Buffer.from('warm');
  await c.request(OpCode.exists, R.PathWatchRequest, { path: '/', watch: false });
  await c.request(OpCode.create, R.CreateRequest, { path: '/zkts-warm', data, acl, flags: CreateFlag.PERSISTENT });
  await c.request(OpCode.create2, R.CreateRequest, { path: '/zkts-warm/e', data, acl, flags: CreateFlag.EPHEMERAL_SEQUENTIAL });
  await c.request(OpCode.getData, R.GetDataRequest, { path: '/zkts-warm', watch: true });
  await c.request(OpCode.setData, R.SetDataRequest, { path: '/zkts-warm', data, version: -1 });
  await c.request(OpCode.getChildren2, R.PathWatchRequest, { path: '/zkts-warm', watch: true });
  await c.request(OpCode.exists, R.PathWatchRequest, { path: '/zkts-warm/none', watch: true });
  await c.ping();
  await c.closeSession();
  // main() ends the server on SIGTERM; emitting the event runs that handler and nothing else.
  process.emit('SIGTERM', 'SIGTERM');
  await exited;
}

/**
 * Runs the warm-up against `distDir` and writes its startup cache. A warm-up that has not finished
 * within `timeoutMs` is given up (the cache is still written); the caller should then exit the process,
 * as that server may still be running.
 */
export async function warmStartupCache(distDir: string, timeoutMs = 30_000): Promise<WarmResult> {
  const cache = new StartupCache(distDir);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-warm-'));
  let failure: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      serveOneSession(cache, dir),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no end within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    failure = (e as Error).message;
  } finally {
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const written = cache.loaded > 0 && cache.save(true);
  return { modules: cache.loaded, written, failure };
}

if (require.main === module) {
  const dist = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
  warmStartupCache(dist).then(
    (r) => {
      if (r.failure !== null) console.error(`startup cache: the warm-up server stopped early: ${r.failure}`);
      process.exit(0);
    },
    (e) => {
      console.error(`startup cache: ${(e as Error).message}`);
      process.exit(0);
    },
  );
}
