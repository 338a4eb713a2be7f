/**
 * Files written for users that cannot run here (no Docker engine): parsed and cross-checked instead.
 * zkServer.sh is run for real.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { loadConfigFile } from '../../src/config/zooCfg';

const root = path.resolve(__dirname, '../..');

function parseYaml(file: string): any {
  const out = execFileSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file]);
  return JSON.parse(out.toString());
}

describe('docker-compose.yml and Dockerfile', () => {
  const compose = parseYaml(path.join(root, 'docker-compose.yml'));
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');

  test('every service mounts files that exist and publishes the ports its zoo.cfg uses', () => {
    expect(Object.keys(compose.services).length).toBeGreaterThan(0);
    for (const svc of Object.values<any>(compose.services)) {
      const cfgMount = (svc.volumes as string[]).find((v) => v.endsWith(':/conf/zoo.cfg:ro'))!;
      const hostFile = path.join(root, cfgMount.split(':')[0]);
      expect(fs.existsSync(hostFile)).toBe(true);
      const cfg = loadConfigFile(hostFile);
      const published = (svc.ports as string[]).map((p) => Number(p.split(':')[1]));
      expect(published).toContain(cfg.clientPort);
      for (const v of svc.volumes as string[]) {
        const [src] = v.split(':');
        if (src.startsWith('.')) expect(fs.existsSync(path.join(root, src))).toBe(true);
        else expect(Object.keys(compose.volumes)).toContain(src);
      }
    }
  });

  test('the Dockerfile copies only files that exist and exposes the client port', () => {
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1].split(/\s+/)) expect(fs.existsSync(path.join(root, src))).toBe(true);
    }
    expect(dockerfile).toMatch(/EXPOSE .*2181/);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/zkts.js", "start-foreground"\]/);
  });
});

describe('scripts/zkServer.sh', () => {
  const script = path.join(root, 'scripts/zkServer.sh');
  let dir: string;
  let port: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-zkserver-'));
    port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    fs.writeFileSync(path.join(dir, 'zoo.cfg'), `tickTime=2000\ndataDir=${dir}/data\nclientPort=${port}\nclientPortAddress=127.0.0.1\n`);
  });
  afterAll(() => {
    spawnSync('bash', [script, '--config', dir, 'stop'], { env: { ...process.env, ZOO_LOG_DIR: dir } });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (verb: string) => spawnSync('bash', [script, '--config', dir, verb], { env: { ...process.env, ZOO_LOG_DIR: dir }, encoding: 'utf8', timeout: 20000 });

  test("start, status, a second start, stop and status answer with Apache's words and exit codes", () => {
    expect(fs.existsSync(path.join(root, 'dist/cli.js'))).toBe(true);
    const start = run('start');
    expect(start.stdout).toContain('Starting zookeeper ... STARTED');
    expect(start.status).toBe(0);
    let status = run('status');
    for (let i = 0; i < 20 && status.status !== 0; i++) {
      execFileSync('sleep', ['0.2']);
      status = run('status');
    }
    expect(status.stdout.trim()).toBe('Mode: standalone');
    expect(status.status).toBe(0);
    const again = run('start');
    expect(again.stdout).toMatch(/already running as process \d+/);
    expect(again.status).toBe(1);
    const stop = run('stop');
    expect(stop.stdout).toContain('Stopping zookeeper ... STOPPED');
    expect(stop.status).toBe(0);
    const down = run('status');
    expect(down.stdout).toContain('Error contacting service. It is probably not running.');
    expect(down.status).toBe(1);
  });

  test('zkts status <zoo.cfg> is the same verb through the zkts command', () => {
    const r = spawnSync('node', [path.join(root, 'bin/zkts.js'), 'status', path.join(dir, 'zoo.cfg')], { env: { ...process.env, ZOO_LOG_DIR: dir }, encoding: 'utf8', timeout: 20000 });
    expect(r.stdout).toContain('Error contacting service. It is probably not running.');
    expect(r.status).toBe(1);
  });

  test('the server starts without NODE_EXTRA_CA_CERTS (Node 20 parses it at start; zkts makes no TLS connections)', () => {
    // Node warns at start about a file it cannot read: the warning shows whether the variable got through.
    const env = { ...process.env, ZOO_LOG_DIR: dir, NODE_EXTRA_CA_CERTS: path.join(dir, 'no-such-ca.pem') };
    const direct = spawnSync('node', [path.join(root, 'bin/zkts.js'), 'version'], { env, encoding: 'utf8', timeout: 20000 });
    expect(direct.stderr).toContain('extra certs');
    const viaScript = spawnSync('bash', [script, '--config', dir, 'start-foreground', path.join(dir, 'missing.cfg')], { env, encoding: 'utf8', timeout: 20000 });
    expect(viaScript.status).toBe(2);
    expect(`${viaScript.stdout}${viaScript.stderr}`).not.toContain('extra certs');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toMatch(/^env -u NODE_EXTRA_CA_CERTS node bin\/zkts\.js start-foreground /);
  });

  test('start-foreground names a bad memory property and exits 2', () => {
    for (const prop of ['zkts.heapGrowthPercent=lots', 'zkts.youngGenerationMb=-1']) {
      const r = spawnSync('node', [path.join(root, 'bin/zkts.js'), 'start-foreground', `-D${prop}`, path.join(dir, 'zoo.cfg')], { encoding: 'utf8', timeout: 20000 });
      expect(`${r.stdout}${r.stderr}`).toContain(`Invalid system property ${prop.split('=')[0]}`);
      expect(r.status).toBe(2);
    }
  });
});
