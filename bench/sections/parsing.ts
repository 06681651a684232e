// Reading and parsing alone, no Cassandra: CPU time per event and per play of each way in
// bench/runners/parsing.ts on the bench's event log, each in a process of its own. It shows what
// csv-parse costs at its fastest, against what the ingest may spend on a play beside the writes
// (the ceiling's CPU per play), and what the reader spends instead.
import type { BenchContext } from '../context';
import { jsonlTwin } from '../data';
import { PARSING_WAYS } from '../parsing-ways';
import type { ParsingResult } from '../report';
import { spread } from '../stats';

interface ParsingRun {
  way: string;
  events: number;
  plays: number;
  cpuMs: number;
}

export async function parsing(ctx: BenchContext): Promise<void> {
  const { args, data } = ctx;
  const jsonl = await jsonlTwin(data, 'bench', ctx.log);
  const results: ParsingResult[] = [];
  for (const way of PARSING_WAYS) {
    const cpuMs: number[] = [];
    for (let i = 0; i < args.repeats; i++) {
      const r = await ctx.runNode<ParsingRun>(ctx.bundles['runner-parsing'], [way, data.eventsFile, jsonl]);
      // Every way that classifies must find every play, and every way that counts records every event.
      if (
        (way.startsWith('reader') && r.plays !== data.plays) ||
        (way !== 'read' && r.events !== data.events)
      )
        throw new Error(
          `parsing, ${way}: ${r.events} events and ${r.plays} plays, not ${data.events} and ${data.plays}`,
        );
      cpuMs.push(r.cpuMs);
    }
    const result: ParsingResult = {
      way,
      cpuUsPerEvent: spread(cpuMs.map((ms) => (ms * 1000) / data.events)),
      cpuUsPerPlay: spread(cpuMs.map((ms) => (ms * 1000) / data.plays)),
    };
    results.push(result);
    ctx.log(
      `parsing, ${way}: ${result.cpuUsPerEvent.median.toFixed(2)} µs CPU/event, ${result.cpuUsPerPlay.median.toFixed(2)} µs/play`,
    );
  }
  ctx.results.parsing = results;
}
