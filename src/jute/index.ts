export * from './errors';
export * from './reader';
export * from './writer';
export * from './schema';
export * as records from './records';
