import * as path from 'path';
import { ConfigError, loadConfigFile } from './config/zooCfg';
import { runStandalone } from './standalone';
import { NodeStore } from './tree/nodeStore';
import { dumpSnapshot, dumpTxnLog } from './persistence/dumpTools';
import { createLogger } from './util/logger';
import { startIdleGc } from './util/idleGc';
import { capYoungGeneration } from './util/youngGeneration';
import { setHeapGrowth } from './util/heapGrowth';
import { VERSION_STRING } from './version';

const USAGE = `Usage: zkts [-Dname=value ...] <command> [zoo.cfg | file]

  start-foreground  run a server in the foreground from zoo.cfg (default conf/zoo.cfg)
  start|stop|restart|status|print-cmd [zoo.cfg]
                    run it as a daemon, as zkServer.sh does (same verbs, files and exit codes)
  bench             load generator for any ZooKeeper server (zkts bench --help)
  snapshot-dump     print a snapshot file (text like zkSnapShotToolkit.sh, or --json)
  txnlog-dump       print a txn log file (text like zkTxnLogToolkit.sh, or --json)
  version           print the version

-Dname=value sets what Apache ZooKeeper reads from Java system properties
(jute.maxbuffer, zookeeper.extendedTypesEnabled, znode.container.checkIntervalMs, ...).
`;

export interface ParsedArgs {
  command: string | null;
  sysProps: Map<string, string>;
  rest: string[];
}

export function parseArgs(argv: string[]): ParsedArgs {
  const sysProps = new Map<string, string>();
  const rest: string[] = [];
  let command: string | null = null;
  for (const a of argv) {
    if (a.startsWith('-D')) {
      const eq = a.indexOf('=');
      if (eq < 0) sysProps.set(a.substring(2), 'true');
      else sysProps.set(a.substring(2, eq), a.substring(eq + 1));
    } else if (command === null) {
      command = a;
    } else {
      rest.push(a);
    }
  }
  return { command, sysProps, rest };
}

/** The old generation's growth past a full collection's survivors, in percent (src/util/heapGrowth.ts). */
const DEFAULT_HEAP_GROWTH_PERCENT = 400;

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const logLevel = args.sysProps.get('zkts.log.level') ?? process.env.ZKTS_LOG_LEVEL ?? 'info';
  switch (args.command) {
    case 'start-foreground': {
      const log = createLogger(logLevel, args.sysProps.get('zkts.log.file'));
      const file = args.rest[0] ?? 'conf/zoo.cfg';
      let config;
      try {
        config = loadConfigFile(file, { sysProps: args.sysProps });
      } catch (e) {
        if (e instanceof ConfigError) {
          log.error(`Invalid config, exiting abnormally: ${e.message}`);
          return 2;
        }
        throw e;
      }
      const youngMb = Number(args.sysProps.get('zkts.youngGenerationMb') ?? 8);
      if (!Number.isFinite(youngMb) || youngMb < 0) {
        log.error(`Invalid system property zkts.youngGenerationMb: ${args.sysProps.get('zkts.youngGenerationMb')}`);
        return 2;
      }
      capYoungGeneration(youngMb);
      const growth = Number(args.sysProps.get('zkts.heapGrowthPercent') ?? DEFAULT_HEAP_GROWTH_PERCENT);
      if (!Number.isFinite(growth) || growth < 0) {
        log.error(`Invalid system property zkts.heapGrowthPercent: ${args.sysProps.get('zkts.heapGrowthPercent')}`);
        return 2;
      }
      setHeapGrowth(growth);
      const reserve = Number(args.sysProps.get('zkts.reserveZnodes') ?? 2 ** 21);
      if (!Number.isInteger(reserve) || reserve < 0) {
        log.error(`Invalid system property zkts.reserveZnodes: ${args.sysProps.get('zkts.reserveZnodes')}`);
        return 2;
      }
      NodeStore.defaultReserve = reserve;
      let zks;
      try {
        zks = await runStandalone(config, log);
      } catch (e) {
        log.error(`Unable to start the server: ${(e as Error).message}`);
        return 1;
      }
      const server = zks;
      const stopIdleGc = args.sysProps.get('zkts.idleGc') === 'false' ? () => undefined : startIdleGc(() => server.stats.packetsReceived + server.stats.packetsSent);
      return await new Promise<number>((resolve) => {
        const shutdown = (sig: string) => {
          log.info(`Received ${sig}, shutting down`);
          log.flush?.();
          stopIdleGc();
          zks.stop().then(
            () => resolve(0),
            () => resolve(1),
          );
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    }
    case 'snapshot-dump':
    case 'txnlog-dump': {
      const file = args.rest.find((a) => !a.startsWith('--'));
      if (file === undefined) {
        process.stderr.write(`Usage: zkts ${args.command} <file> [--json]\n`);
        return 1;
      }
      const json = args.rest.includes('--json');
      const write = (s: string) => process.stdout.write(s);
      try {
        if (args.command === 'snapshot-dump') dumpSnapshot(file, json, write);
        else dumpTxnLog(file, json, write);
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 2;
      }
      return 0;
    }
    case 'start':
    case 'stop':
    case 'restart':
    case 'status':
    case 'print-cmd': {
      // The daemon verbs are zkServer.sh's, with its ZOOCFGDIR/ZOOCFG/ZOOPIDFILE conventions and exit codes.
      const script = path.join(__dirname, '..', 'scripts', 'zkServer.sh');
      const dflags = [...args.sysProps].map(([k, v]) => `-D${k}=${v}`).join(' ');
      const env = { ...process.env, SERVER_JVMFLAGS: `${process.env.SERVER_JVMFLAGS ?? ''} ${dflags}`.trim() };
      // Required here: only the daemon verbs need child_process (start-up time).
      const { spawnSync } = require('child_process') as typeof import('child_process');
      const r = spawnSync('bash', [script, args.command, ...args.rest], { stdio: 'inherit', env });
      return r.status ?? 1;
    }
    case 'bench':
      // Load generator for any ZooKeeper-compatible server (src/bench); `zkts bench --help`.
      return (await import('./bench/cli')).benchMain(args.rest);
    case 'version':
      process.stdout.write(`${VERSION_STRING}\n`);
      return 0;
    case null:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return args.command === null ? 1 : 0;
    default:
      process.stderr.write(`Unknown command: ${args.command}\n${USAGE}`);
      return 1;
  }
}
