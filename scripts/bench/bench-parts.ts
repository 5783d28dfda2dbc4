/** The parts of `milk bench` besides the concept model's that `--only` can pick (kept apart so the CLI loads no bench code to check the flag). */
export const BENCH_PARTS = ['qc', 'text', 'deid'] as const;

export type BenchPart = (typeof BENCH_PARTS)[number];
