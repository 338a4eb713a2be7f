import { fourLetterWord, RunningServer, startOracle } from './lib/servers';

describe('Apache ZooKeeper oracle', () => {
  let server: RunningServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('starts standalone and answers srvr', async () => {
    server = await startOracle();
    expect(server.name).toBe('apache');
    expect(server.connectString).toBe(`127.0.0.1:${server.port}`);
    const srvr = await fourLetterWord(server.host, server.port, 'srvr');
    expect(srvr).toContain('Mode: standalone');
    expect(srvr).toContain('Zookeeper version: 3.8');
    expect(await fourLetterWord(server.host, server.port, 'ruok')).toBe('imok');
  });

  it('passes cfg entries and JVM flags through', async () => {
    const s = await startOracle({
      cfg: { maxClientCnxns: '7' },
      jvmFlags: ['-Dzookeeper.extendedTypesEnabled=true'],
    });
    try {
      const conf = await fourLetterWord(s.host, s.port, 'conf');
      expect(conf).toContain('maxClientCnxns=7');
      expect(conf).toContain(`clientPort=${s.port}`);
    } finally {
      await s.stop();
    }
  });

  it('stop() kills the process and removes the temp dir', async () => {
    const s = await startOracle();
    const { port, host, workDir } = s;
    await s.stop();
    await s.stop(); // idempotent
    await expect(fourLetterWord(host, port, 'ruok', 1000)).rejects.toThrow();
    const fs = await import('node:fs');
    expect(workDir && fs.existsSync(workDir)).toBe(false);
  });
});
