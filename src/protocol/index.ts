/**
 * The wire contracts shared by workflows, activities and the client (layer entry): the node
 * activity envelope, attempts, stream chunks, log records, run callbacks, search attributes,
 * child pipelines, and the query/signal/update definitions of every workflow. Pure: bundled into
 * workflow code.
 */
export * from './attempts';
export * from './childPipelines';
export * from './logRecords';
export * from './nodeActivity';
export * from './nodeActivities';
export * from './runCallbacks';
export * from './searchAttributes';
export * from './streamChunks';
export * from './messages/limiterMessages';
export * from './messages/mapMessages';
export * from './messages/registryMessages';
export * from './messages/runMessages';
