/**
 * The command-line tool `tpipe` (layer entry). Nothing else in src/ imports the CLI; the bin is
 * main.ts, which runs {@link main} when executed.
 */
export { main } from './main';
