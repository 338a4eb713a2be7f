/** worker_threads entry: runs one SessionGroup for the runner (runner.ts) in the main thread. */
import { parentPort, workerData } from 'worker_threads';
import { GroupSpec, SessionGroup } from './loadgen';

interface Init {
  spec: GroupSpec;
  progress: Float64Array;
  slot: number;
}

export type ToWorker = { type: 'go'; measureAt: number; endAt: number } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'error'; message: string }
  | { type: 'done'; result: import('./loadgen').GroupResult };

if (parentPort !== null) {
  const port = parentPort;
  const init = workerData as Init;
  const group = new SessionGroup(init.spec, init.progress, init.slot);
  const post = (m: FromWorker): void => port.postMessage(m);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'go') {
      group.run(m.measureAt, m.endAt).then(
        (result) => {
          post({ type: 'done', result });
          port.close();
        },
        (e: Error) => {
          post({ type: 'error', message: e.message });
          port.close();
        },
      );
    } else if (m.type === 'stop') {
      group.stop();
    }
  });
  group.connect().then(
    () => post({ type: 'ready' }),
    (e: Error) => {
      post({ type: 'error', message: `connect: ${e.message}` });
      port.close();
    },
  );
}
