/**
 * A virtualized list: of any number of items, only those in view (and a few
 * around them) are in the DOM, absolutely placed inside a spacer as tall as
 * the whole list. Items have fixed heights (per item, so group headers may
 * differ from rows), or, for the few items `measure` names (a sidebar row
 * holding an approval card), the height their drawn node has: measured when
 * drawn and whenever it resizes, the given height standing in until then. A
 * node is made again only when its item's signature changes, so focus, hover
 * and a click in the others survive a re-render. The sidebar's rows and each
 * board column's cards use it.
 */

/** How a list draws its items. */
export interface IVirtualListOptions<T> {
  /** The scrolling element (gets the spacer as its only child). */
  scroller: HTMLElement;
  /** The height of an item in pixels (for a measured item: until it is drawn). */
  height: (item: T) => number;
  /**
   * Whether an item is as tall as its drawn node (measured when drawn, and
   * again when it resizes) rather than `height`. Keep it to few items: each
   * one drawn is measured.
   */
  measure?: (item: T) => boolean;
  /** A stable key per item (its DOM node is kept while the key stays). */
  key: (item: T) => string;
  /** Changes whenever the item's node must be drawn again. */
  signature: (item: T) => string;
  /** Draw an item. */
  render: (item: T) => HTMLElement;
  /** Extra pixels drawn above and below the view. */
  overscan?: number;
  /** The tag of the spacer element (e.g. "ul" inside a plain scroller). */
  spacerTag?: string;
  /** The class of the spacer. */
  spacerClass?: string;
}

/** The height assumed for a scroller that has none yet (hidden, not laid out). */
const UNLAID_HEIGHT = 1200;

/** How many times one update places the items again after measured ones changed height. */
const MAX_PASSES = 3;

/**
 * How tall a view can be: a scroller not yet sized by its layout (a tab just
 * shown) may be as tall as its content, but no more than the window shows.
 */
function viewHeight(scroller: HTMLElement): number {
  const window_ = scroller.ownerDocument.defaultView;
  const screen = window_?.innerHeight || UNLAID_HEIGHT;
  return Math.min(scroller.clientHeight || screen, screen);
}

/** A drawn item whose height is measured. */
interface IMeasured {
  index: number;
  key: string;
  node: HTMLElement;
}

/** A virtualized list inside a scrolling element. */
export class VirtualList<T> {
  constructor(private readonly options: IVirtualListOptions<T>) {
    this.spacer = document.createElement(options.spacerTag ?? 'div');
    this.spacer.className = options.spacerClass ?? '';
    this.spacer.style.position = 'relative';
    // The list keeps the view steady itself when a measured item above it changes.
    options.scroller.style.overflowAnchor = 'none';
    options.scroller.append(this.spacer);
    options.scroller.addEventListener('scroll', this._onScroll, { passive: true });
    if (typeof ResizeObserver !== 'undefined') {
      this._resize = new ResizeObserver(() => this.update());
      this._resize.observe(options.scroller);
      if (options.measure) {
        this._itemResize = new ResizeObserver(this._onScroll);
      }
    }
  }

  /** The element holding the drawn items. */
  readonly spacer: HTMLElement;

  /** The items, all of them. */
  get items(): readonly T[] {
    return this._items;
  }

  /** How many item nodes are in the DOM now. */
  get drawn(): number {
    return this._nodes.size;
  }

  /** Replace the items and draw the ones in view. */
  setItems(items: readonly T[]): void {
    this._items = items;
    this._layout();
    this.update();
  }

  /** Draw the items in view (after a scroll or a resize). */
  update(): void {
    // A measured item found taller or shorter moves the ones below it: place them again.
    let pass = 0;
    while (this._place() && pass++ < MAX_PASSES) {
      this._layout();
    }
  }

  /** The node of an item, when it is drawn. */
  nodeOf(itemKey: string): HTMLElement | null {
    return this._nodes.get(itemKey)?.node ?? null;
  }

  /** Scroll so that the item with this key is in view; false when there is none. */
  scrollTo(itemKey: string): boolean {
    const index = this._items.findIndex(item => this.options.key(item) === itemKey);
    if (index < 0) {
      return false;
    }
    const { scroller } = this.options;
    const top = this._offsets[index];
    const bottom = this._offsets[index + 1];
    if (top < scroller.scrollTop) {
      scroller.scrollTop = top;
    } else if (bottom > scroller.scrollTop + scroller.clientHeight) {
      scroller.scrollTop = bottom - scroller.clientHeight;
    }
    this.update();
    return true;
  }

  dispose(): void {
    this.options.scroller.removeEventListener('scroll', this._onScroll);
    this._resize?.disconnect();
    this._itemResize?.disconnect();
    cancelAnimationFrame(this._frame);
  }

  /** Every item's offset, and the spacer's height, from the heights known now. */
  private _layout(): void {
    const { height, key, measure } = this.options;
    const items = this._items;
    const offsets = new Array<number>(items.length + 1);
    const measured = new Map<string, number>();
    let top = 0;
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      offsets[index] = top;
      let itemHeight: number | undefined;
      if (measure?.(item)) {
        const itemKey = key(item);
        itemHeight = this._measured.get(itemKey);
        if (itemHeight !== undefined) {
          measured.set(itemKey, itemHeight);
        }
      }
      top += itemHeight ?? height(item);
    }
    offsets[items.length] = top;
    this._offsets = offsets;
    this._measured = measured; // items no longer measured are forgotten
    this.spacer.style.height = `${top}px`;
  }

  /**
   * Draw the items in view at their offsets; true when a measured one turned
   * out to have another height (make the offsets again, then place again).
   */
  private _place(): boolean {
    const { scroller, key, signature, render, measure } = this.options;
    const overscan = this.options.overscan ?? 400;
    const view = viewHeight(scroller);
    const first = this._indexAt(Math.max(0, scroller.scrollTop - overscan));
    const last = this._indexAt(scroller.scrollTop + view + overscan);
    const wanted = new Map<string, { node: HTMLElement; signature: string }>();
    const ordered: HTMLElement[] = [];
    const measured: IMeasured[] = [];
    for (let index = first; index <= last && index < this._items.length; index++) {
      const item = this._items[index];
      const itemKey = key(item);
      const itemSignature = signature(item);
      const old = this._nodes.get(itemKey);
      let node: HTMLElement;
      if (old && old.signature === itemSignature) {
        node = old.node;
      } else {
        node = render(item);
        node.style.position = 'absolute';
        node.style.left = '0';
        node.style.right = '0';
      }
      const top = `${this._offsets[index]}px`;
      if (node.style.top !== top) {
        node.style.top = top;
      }
      wanted.set(itemKey, { node, signature: itemSignature });
      ordered.push(node);
      if (measure?.(item)) {
        measured.push({ index, key: itemKey, node });
      }
    }
    const keep = new Set(ordered);
    for (const child of [...this.spacer.children]) {
      if (!keep.has(child as HTMLElement)) {
        this._unwatch(child);
        child.remove();
      }
    }
    // In the DOM in list order, so Tab and screen readers go through them as shown.
    let cursor = this.spacer.firstElementChild;
    for (const node of ordered) {
      if (node === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        this.spacer.insertBefore(node, cursor);
      }
    }
    this._nodes = wanted;
    return this._measure(measured);
  }

  /**
   * Note the drawn heights of measured items, and watch them for resizes (a
   * card expanded); true when one changed. When an item above the view
   * changes, the view scrolls with it, so the rows in view stay put.
   */
  private _measure(drawn: IMeasured[]): boolean {
    const { scroller } = this.options;
    let changed = false;
    for (const { index, key, node } of drawn) {
      if (this._itemResize && !this._watched.has(node)) {
        this._watched.add(node);
        this._itemResize.observe(node);
      }
      const drawnHeight = node.offsetHeight;
      const known = this._offsets[index + 1] - this._offsets[index];
      if (drawnHeight === 0 || drawnHeight === known) {
        continue; // not laid out (a hidden panel), or as assumed
      }
      this._measured.set(key, drawnHeight);
      if (this._offsets[index + 1] <= scroller.scrollTop) {
        scroller.scrollTop += drawnHeight - known;
      }
      changed = true;
    }
    return changed;
  }

  private _unwatch(node: Element): void {
    if (this._watched.delete(node)) {
      this._itemResize?.unobserve(node);
    }
  }

  /** The index of the item at `y` pixels from the top (binary search of the offsets). */
  private _indexAt(y: number): number {
    let low = 0;
    let high = this._items.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this._offsets[middle] <= y) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    return Math.max(0, low);
  }

  private _onScroll = (): void => {
    if (!this._frame) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this.update();
      });
    }
  };

  private _items: readonly T[] = [];
  private _offsets: number[] = [0];
  private _nodes = new Map<string, { node: HTMLElement; signature: string }>();
  private _measured = new Map<string, number>();
  private _watched = new Set<Element>();
  private _resize: ResizeObserver | null = null;
  private _itemResize: ResizeObserver | null = null;
  private _frame = 0;
}
