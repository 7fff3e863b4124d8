// A virtualised list on @tanstack/virtual-core: only the rows in view are in the DOM, so 10,000 entries scroll
// as smoothly as ten. Rows may differ in height (they are measured). Arrow keys, Home and End move between rows.
import { elementScroll, observeElementOffset, observeElementRect, Virtualizer, type VirtualizerOptions } from '@tanstack/virtual-core';
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';

interface Props {
  count: number;
  estimate: number;
  /** a stable key per row */
  keyOf: (index: number) => string | number;
  row: (index: number) => ComponentChildren;
  label: string;
  class?: string;
  /** keep the view at the newest row while the user is there (chat) */
  follow?: boolean;
  /** the row to bring into view */
  scrollTo?: number | null;
}

type Opts = VirtualizerOptions<HTMLDivElement, HTMLDivElement>;

export function VirtualList(p: Props): JSX.Element {
  const scroller = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const options = (): Opts =>
    ({
      count: p.count,
      estimateSize: () => p.estimate,
      getScrollElement: () => scroller.current,
      getItemKey: p.keyOf,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      onChange: () => rerender(0),
      overscan: 6,
      anchorTo: p.follow ? 'end' : 'start',
      followOnAppend: p.follow ?? false,
    }) as Opts;
  const [v] = useState(() => new Virtualizer<HTMLDivElement, HTMLDivElement>(options()));
  v.setOptions({ ...v.options, ...options() });
  useLayoutEffect(() => v._didMount(), []);
  useLayoutEffect(() => v._willUpdate());
  // A chat opens at its newest message.
  useLayoutEffect(() => {
    if (p.follow && p.count) v.scrollToIndex(p.count - 1, { align: 'end' });
  }, []);
  useEffect(() => {
    if (p.scrollTo != null && p.scrollTo >= 0 && p.scrollTo < p.count) v.scrollToIndex(p.scrollTo, { align: 'auto' });
  }, [p.scrollTo]);

  const onKey = (e: KeyboardEvent): void => {
    const rows = [...(scroller.current?.querySelectorAll<HTMLElement>('[data-index]') ?? [])];
    const at = rows.findIndex((r) => r.contains(document.activeElement));
    const current = at === -1 ? -1 : Number(rows[at]!.dataset.index);
    let next: number | null = null;
    if (e.key === 'ArrowDown') next = Math.min(p.count - 1, current + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, current - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = p.count - 1;
    if (next === null || next < 0) return;
    e.preventDefault();
    v.scrollToIndex(next, { align: 'auto' });
    const target = next;
    requestAnimationFrame(() => {
      const el = scroller.current?.querySelector<HTMLElement>(`[data-index="${target}"]`);
      (el?.querySelector<HTMLElement>('button, a, [tabindex]') ?? el)?.focus();
    });
  };

  const items = v.getVirtualItems();
  return (
    <div ref={scroller} class={`vlist ${p.class ?? ''}`} onKeyDown={onKey} aria-label={p.label} role="list" tabIndex={-1}>
      <div style={{ height: `${v.getTotalSize()}px`, position: 'relative', width: '100%' }}>
        {items.map((it) => (
          <div
            key={it.key}
            data-index={it.index}
            ref={(el) => {
              if (el) v.measureElement(el);
            }}
            role="listitem"
            class="vrow"
            style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${it.start}px)` }}
          >
            {p.row(it.index)}
          </div>
        ))}
      </div>
    </div>
  );
}
