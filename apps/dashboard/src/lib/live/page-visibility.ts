/** Whether the page is in a background tab (polling pauses there). False outside a browser. */
export function pageHidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}
