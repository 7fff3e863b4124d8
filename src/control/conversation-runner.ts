// Plays a conversation against a running app through any ControlPort and reports each step.
import { describeClock } from '../domain/clock.js';
import { describeStep, expectFilter as filterOf, type Conversation, type Expectation, type Step } from '../domain/conversation.js';
import { describeRule } from '../domain/faults.js';
import { TimeoutError } from '../domain/errors.js';
import type { ControlPort } from './port.js';
import type { DeliveryResult } from '../core/events.js';

export interface StepReport {
  index: number;
  step: string;
  outcome: 'passed' | 'failed' | 'skipped';
  detail: string;
}

export interface ConversationReport {
  name: string;
  ok: boolean;
  steps: StepReport[];
}

/** `expected`: whether the step wants the app to take it (a send with "delivered": false wants it not to). */
function deliveryDetail(r: DeliveryResult, expected = true): { ok: boolean; detail: string } {
  const detail = r.delivered ? `app answered ${r.status} on ${r.path} in ${r.duration_ms} ms` : (r.reason ?? `not delivered (status ${r.status})`);
  return { ok: r.delivered === expected, detail: r.delivered === expected || expected ? detail : `delivered, but the step expected it not to be: ${detail}` };
}

/** What a run carries from step to step: the last matched entry, the latest injection's delivery id (what a
 * `reply` expectation names), the fault rules to remove at the end. */
interface RunState {
  id: number;
  delivery?: string;
  faults: string[];
}

async function runStep(step: Step, control: ControlPort, cursor: RunState): Promise<{ ok: boolean; detail: string }> {
  const injected = (r: DeliveryResult): DeliveryResult => ((cursor.delivery = r.id), r);
  const expectFilter = (e: Expectation): ReturnType<typeof filterOf> => filterOf(e, cursor.delivery);
  switch (step.kind) {
    case 'send':
      return deliveryDetail(injected(await control.injectMessage({ from: step.from, to: step.to, body: step.body, type: step.type })), step.delivered ?? true);
    case 'presence':
      return deliveryDetail(injected(await control.injectPresence({ from: step.from, to: step.to, type: step.type, show: step.show, status: step.status })));
    case 'subscription':
      return deliveryDetail(injected(await control.injectSubscription({ from: step.from, to: step.to, type: step.type })));
    case 'error':
      return deliveryDetail(injected(await control.injectError({ from: step.from, to: step.to, stanza: step.stanza })));
    case 'set_presence':
      await control.setPresence(step.jid, step.state as string);
      return { ok: true, detail: 'presence set' };
    case 'expect': {
      const filter = { ...expectFilter(step), since: cursor.id };
      const started = performance.now();
      try {
        const entry = await control.waitFor({ ...filter, timeoutMs: step.timeoutMs });
        cursor.id = entry.id;
        return {
          ok: true,
          detail: `got ${entry.body !== undefined ? JSON.stringify(entry.body) : entry.kind} after ${Math.round(performance.now() - started)} ms`,
        };
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        const sent = await control.outbox({ since: filter.since, kind: step.outboxKind });
        const seen = sent.length
          ? `the app sent instead: ${sent
              .slice(-3)
              .map((m) => `${m.to.join(',')}: ${JSON.stringify(m.body ?? m.kind)}`)
              .join('; ')}`
          : 'the app sent nothing';
        return { ok: false, detail: `nothing matched within ${step.timeoutMs} ms; ${seen}` };
      }
    }
    // A failed assertion throws its coded error, which the run reports as the step's failure.
    case 'expect_none':
      await control.expectNone({ ...expectFilter(step), since: cursor.id, timeoutMs: step.timeoutMs });
      return { ok: true, detail: `nothing matched within ${step.timeoutMs} ms` };
    case 'expect_sequence': {
      const got = await control.expectSequence({ steps: step.steps.map(expectFilter), since: cursor.id, timeoutMs: step.timeoutMs });
      cursor.id = got.at(-1)!.id;
      return { ok: true, detail: `got ${got.map((e) => JSON.stringify(e.body ?? e.kind)).join(', then ')}` };
    }
    case 'fault': {
      const added = await control.addFault(step.rules);
      cursor.faults.push(...added.map((r) => r.id));
      return { ok: true, detail: added.map(describeRule).join('; ') };
    }
    case 'clock':
      return { ok: true, detail: `clock at ${describeClock(await control.setClock(step.change))}` };
  }
}

export async function runConversation(conv: Conversation, control: ControlPort): Promise<ConversationReport> {
  const cursor: RunState = { id: await control.lastOutboxId(), faults: [] };
  const steps: StepReport[] = [];
  let failed = false;
  for (const [i, step] of conv.steps.entries()) {
    const base = { index: i + 1, step: describeStep(step) };
    if (failed) {
      steps.push({ ...base, outcome: 'skipped', detail: 'an earlier step failed' });
      continue;
    }
    let r: { ok: boolean; detail: string };
    try {
      r = await runStep(step, control, cursor);
    } catch (e) {
      r = { ok: false, detail: (e as Error).message };
    }
    steps.push({ ...base, outcome: r.ok ? 'passed' : 'failed', detail: r.detail });
    failed ||= !r.ok;
  }
  // The file's fault rules end with it; the clock stays where the file left it.
  for (const id of cursor.faults) await control.removeFault(id).catch(() => undefined);
  return { name: conv.name, ok: !failed, steps };
}
