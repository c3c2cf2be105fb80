/**
 * A table that stays fast at 100,000 rows: only the rows in view (plus a margin) exist in the
 * DOM, re-rendered on scroll. Keyboard: the grid takes focus; ↑/↓ (or k/j), PageUp/PageDown,
 * Home/End move the active row, Enter opens it, Space or x selects it. Cells are text or nodes
 * built by the caller (never HTML).
 */
import { append, el, type Child } from '../dom.js';

export interface TableColumn<T> {
  id: string;
  label: string;
  /** CSS width, e.g. '8rem'. */
  width: string;
  numeric?: boolean;
  /** 'ascending' | 'descending' when the table is sorted by this column. */
  sorted?: 'ascending' | 'descending';
  /** Clicking the header sorts by this column when set. */
  sortable?: boolean;
  cell(row: T): Child;
  title?(row: T): string;
}

export interface VirtualTableOptions<T> {
  rowHeight: number;
  label: string;
  key(row: T): string;
  isSelected(row: T): boolean;
  onToggle(row: T): void;
  onOpen(row: T): void;
  onSort(column: TableColumn<T>): void;
}

const OVERSCAN = 8;

export class VirtualTable<T> {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly head: HTMLElement;
  private readonly body: HTMLElement;
  private readonly window: HTMLElement;
  private rows: readonly T[] = [];
  private columns: ReadonlyArray<TableColumn<T>> = [];
  private active = 0;
  private frame = 0;

  constructor(private readonly options: VirtualTableOptions<T>) {
    this.head = el('div', { class: 'vt-row vt-head', role: 'row' });
    this.window = el('div', { class: 'vt-window', role: 'rowgroup' });
    this.body = el('div', { class: 'vt-body' }, this.window);
    this.scroller = el('div', { class: 'vt-scroll' }, this.head, this.body);
    this.element = el(
      'div',
      { class: 'vt', role: 'grid', tabindex: 0, 'aria-label': options.label, 'aria-rowcount': 0 },
      this.scroller,
    );
    this.scroller.addEventListener('scroll', () => this.schedule());
    this.element.addEventListener('keydown', (event) => this.onKey(event));
    window.addEventListener('resize', () => this.schedule());
  }

  /** Sets the columns; the rows are drawn again by the next `setRows` or `render`. */
  setColumns(columns: ReadonlyArray<TableColumn<T>>): void {
    this.columns = columns;
    this.element.style.setProperty('--vt-columns', columns.map((c) => c.width).join(' '));
    this.head.replaceChildren(
      ...columns.map((column) => {
        const label = column.sortable
          ? el(
              'button',
              {
                type: 'button',
                class: 'vt-sort',
                onclick: () => this.options.onSort(column),
                title: `Sort by ${column.label}`,
              },
              column.label,
              column.sorted === 'ascending' ? ' ▲' : column.sorted === 'descending' ? ' ▼' : '',
            )
          : column.label;
        return el(
          'div',
          {
            class: column.numeric ? 'vt-cell num' : 'vt-cell',
            role: 'columnheader',
            'aria-sort': column.sorted ?? (column.sortable ? 'none' : undefined),
            'data-column': column.id,
          },
          label,
        );
      }),
    );
    // Rows are drawn by setRows, which callers call after setColumns.
  }

  setRows(rows: readonly T[]): void {
    this.rows = rows;
    this.active = Math.min(this.active, Math.max(0, rows.length - 1));
    this.element.setAttribute('aria-rowcount', String(rows.length + 1));
    this.body.style.height = `${rows.length * this.options.rowHeight}px`;
    this.render();
  }

  activeRow(): T | undefined {
    return this.rows[this.active];
  }

  focus(): void {
    this.element.focus();
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Renders the rows in view. */
  render(): void {
    const h = this.options.rowHeight;
    const top = Math.max(0, this.scroller.scrollTop - this.head.offsetHeight);
    const height = this.scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / h) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / h) + OVERSCAN);
    this.window.style.transform = `translateY(${first * h}px)`;
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.rows[i] as T;
      const selected = this.options.isSelected(row);
      const node = el('div', {
        class: `vt-row${i === this.active ? ' active' : ''}${selected ? ' selected' : ''}`,
        role: 'row',
        id: `vt-row-${i}`,
        'aria-rowindex': i + 2,
        'aria-selected': selected ? 'true' : 'false',
        'data-key': this.options.key(row),
      });
      for (const column of this.columns) {
        const cell = el('div', {
          class: column.numeric ? 'vt-cell num' : 'vt-cell',
          role: 'gridcell',
        });
        append(cell, column.cell(row));
        const title = column.title?.(row);
        if (title !== undefined) cell.title = title;
        node.appendChild(cell);
      }
      node.addEventListener('click', (event) => {
        if ((event.target as HTMLElement).closest('a, input, button')) return;
        this.active = i;
        this.render();
      });
      nodes.push(node);
    }
    this.window.replaceChildren(...nodes);
    if (this.rows.length > 0)
      this.element.setAttribute('aria-activedescendant', `vt-row-${this.active}`);
    else this.element.removeAttribute('aria-activedescendant');
  }

  private moveTo(index: number): void {
    if (this.rows.length === 0) return;
    this.active = Math.max(0, Math.min(this.rows.length - 1, index));
    const h = this.options.rowHeight;
    const view = this.scroller.clientHeight - this.head.offsetHeight;
    const y = this.active * h;
    const top = this.scroller.scrollTop;
    if (y < top) this.scroller.scrollTop = y;
    else if (y + h > top + view) this.scroller.scrollTop = y + h - view;
    this.render();
  }

  private onKey(event: KeyboardEvent): void {
    if (event.target !== this.element || event.altKey || event.ctrlKey || event.metaKey) return;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / this.options.rowHeight) - 1);
    const row = this.rows[this.active];
    switch (event.key) {
      case 'ArrowDown':
      case 'j':
        this.moveTo(this.active + 1);
        break;
      case 'ArrowUp':
      case 'k':
        this.moveTo(this.active - 1);
        break;
      case 'PageDown':
        this.moveTo(this.active + page);
        break;
      case 'PageUp':
        this.moveTo(this.active - page);
        break;
      case 'Home':
        this.moveTo(0);
        break;
      case 'End':
        this.moveTo(this.rows.length - 1);
        break;
      case 'Enter':
        if (row !== undefined) this.options.onOpen(row);
        break;
      case ' ':
      case 'x':
        if (row !== undefined) {
          this.options.onToggle(row);
          this.render();
        }
        break;
      default:
        return;
    }
    event.preventDefault();
  }
}
