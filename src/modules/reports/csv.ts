// The reports' CSV cells: written by the shared table writer (src/lib/tabular.ts), which statements use as well.
export { csvCell, toCsv, type CsvCell } from '../../lib/tabular.js'
