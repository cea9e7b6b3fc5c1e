/** A benchmark whose effect was not what it must be: `npm run bench` prints its rows and exits 1. */
export class BenchCheckFailed extends Error {
  readonly rows: Array<{ metric: string; value: string }>

  constructor(failures: string[], rows: Array<{ metric: string; value: string }>) {
    super(failures.join('\n'))
    this.rows = rows
  }
}
