// The end of the event loop's turn (setImmediate), where the app's calls are answered: all the answers of a turn
// together, in the order they were ready, then what those calls set going (a loop-back, a bounce, a probe's answer).
// A call alone in its turn is answered as soon as it is done (the turn ends when it is), and still before anything it
// caused reaches the app, as the real service answered before it delivered (a call a latency fault holds queues its
// answer and what it caused together when the latency is over: Engine.serve). Shutdown runs the queue at once
// (flushTurnEnd) before it stops deliveries and ends connections: nothing a call did goes unanswered or unstarted. Under load the app's client is woken once
// for the turn's answers instead of once per answer: waking a sleeping client is charged to the writer, about 5 µs of
// the emulator's time per answer under autocannon, most of the gap to a bare node:http server (README, Benchmarks).

let answers: Array<() => void> = [];
let followUps: Array<() => void> = [];
let scheduled = false;

function endTurn(): void {
  scheduled = false;
  const writes = answers;
  const starts = followUps;
  answers = [];
  followUps = [];
  for (const write of writes) write();
  for (const start of starts) start();
}

/** Write the queued answers and start their follow-ups now, not at the turn's end (shutdown: Engine.close, close in start.ts). */
export function flushTurnEnd(): void {
  if (answers.length !== 0 || followUps.length !== 0) endTurn();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(endTurn);
}

/** Write an answer at the end of this turn, after those queued before it. */
export function answerAtTurnEnd(write: () => void): void {
  schedule();
  answers.push(write);
}

/** Start what a call set going at the end of this turn, once the turn's answers are written. */
export function afterTurnAnswers(start: () => void): void {
  schedule();
  followUps.push(start);
}
