// Plays a conversation against a running app through any ControlPort and reports each step.
import { describeStep, expectFilter, type Conversation, type Step } from '../domain/conversation.js';
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

function deliveryDetail(r: DeliveryResult): { ok: boolean; detail: string } {
  return r.delivered
    ? { ok: true, detail: `app answered ${r.status} on ${r.path} in ${r.duration_ms} ms` }
    : { ok: false, detail: r.reason ?? `not delivered (status ${r.status})` };
}

async function runStep(step: Step, control: ControlPort, cursor: { id: number }): Promise<{ ok: boolean; detail: string }> {
  switch (step.kind) {
    case 'send':
      return deliveryDetail(await control.injectMessage({ from: step.from, to: step.to, body: step.body, type: step.type }));
    case 'presence':
      return deliveryDetail(await control.injectPresence({ from: step.from, to: step.to, type: step.type, show: step.show, status: step.status }));
    case 'subscription':
      return deliveryDetail(await control.injectSubscription({ from: step.from, to: step.to, type: step.type }));
    case 'error':
      return deliveryDetail(await control.injectError({ from: step.from, to: step.to, stanza: step.stanza }));
    case 'set_presence':
      await control.setPresence(step.jid, step.state as string);
      return { ok: true, detail: 'presence set' };
    case 'expect': {
      const filter = { ...expectFilter(step), since: cursor.id };
      const started = performance.now();
      try {
        const entry = await control.waitFor({ ...filter, timeoutMs: step.timeoutMs });
        cursor.id = entry.id;
        return { ok: true, detail: `got ${entry.body !== undefined ? JSON.stringify(entry.body) : entry.kind} after ${Math.round(performance.now() - started)} ms` };
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        const sent = await control.outbox({ since: filter.since, kind: step.outboxKind });
        const seen = sent.length
          ? `the app sent instead: ${sent.slice(-3).map((m) => `${m.to.join(',')}: ${JSON.stringify(m.body ?? m.kind)}`).join('; ')}`
          : 'the app sent nothing';
        return { ok: false, detail: `nothing matched within ${step.timeoutMs} ms; ${seen}` };
      }
    }
  }
}

export async function runConversation(conv: Conversation, control: ControlPort): Promise<ConversationReport> {
  const cursor = { id: await control.lastOutboxId() };
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
  return { name: conv.name, ok: !failed, steps };
}
