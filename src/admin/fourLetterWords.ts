import type { ZooKeeperServer } from '../server/zooKeeperServer';
import { VERSION_STRING } from '../version';

/** FourLetterCommands: every word Apache knows, keyed by the int its 4 bytes read as. */
export const FOUR_LETTER_WORDS = ['conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srvr', 'srst', 'stat', 'wchc', 'wchp', 'wchs', 'mntr', 'isro', 'hash'];

export const FOUR_LETTER_CODES = new Map<number, string>(FOUR_LETTER_WORDS.map((w) => [Buffer.from(w, 'latin1').readInt32BE(0), w]));

/** Apache always enables srvr (zkServer.sh depends on it), whatever the whitelist says. */
export function isEnabled(zks: ZooKeeperServer, word: string): boolean {
  const wl = zks.config.fourLetterWords;
  return word === 'srvr' || wl.has('*') || wl.has(word);
}

function hex(n: number): string {
  return n.toString(16);
}

/** Java's Double.toString for the values stats print (non-negative, 4 decimals at most). */
export function javaDouble(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

function serverStats(zks: ZooKeeperServer): string {
  const s = zks.stats;
  return (
    `Latency min/avg/max: ${s.min}/${javaDouble(s.avg)}/${s.maxLatency}\n` +
    `Received: ${s.packetsReceived}\n` +
    `Sent: ${s.packetsSent}\n` +
    `Connections: ${zks.cnxns.size}\n` +
    `Outstanding: ${zks.outstandingRequests}\n` +
    `Zxid: 0x${hex(zks.dataTree.lastProcessedZxid)}\n` +
    `Mode: standalone\n`
  );
}

/** Runs a four-letter word and returns the text Apache would write before closing the connection. */
export function runFourLetterWord(zks: ZooKeeperServer, word: string): string {
  if (!isEnabled(zks, word)) return `${word} is not executed because it is not in the whitelist.\n`;
  switch (word) {
    case 'ruok':
      return 'imok';
    case 'srvr':
    case 'stat': {
      let out = `Zookeeper version: ${VERSION_STRING}\n`;
      if (word === 'stat') {
        out += 'Clients:\n';
        for (const c of zks.cnxns) out += ` /${c.remoteAddress}:${c.remotePort}[${c.initialized ? 1 : 0}](queued=${c.outstanding},recved=${c.packetsReceived},sent=${c.packetsSent})\n\n`;
        out += '\n';
      }
      out += serverStats(zks);
      out += `Node count: ${zks.dataTree.nodeCount}\n`;
      return out;
    }
    case 'srst':
      zks.stats.reset();
      return 'Server stats reset.\n';
    case 'isro':
      return 'rw';
    default:
      return `${word} is not executed because it is not in the whitelist.\n`;
  }
}
