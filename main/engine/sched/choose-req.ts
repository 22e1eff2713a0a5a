/**
 * cfq_choose_req / bfq_choose_req: which of two queued requests to serve next from head position
 * `head` (sectors). A request ahead of the head costs its distance; one behind it within
 * `backMax` sectors costs `backPenalty` times its distance; one further behind "wraps". Neither
 * wraps: the nearer wins, ties to the higher sector. One wraps: the other wins. Both wrap: the
 * lower sector wins. Returns true when the first request is the better one.
 */
export function firstIsCloser(
  s1: number,
  s2: number,
  head: number,
  backMax: number,
  backPenalty: number,
): boolean {
  let d1 = 0;
  let d2 = 0;
  let w1 = false;
  let w2 = false;
  if (s1 >= head) d1 = s1 - head;
  else if (s1 + backMax >= head) d1 = (head - s1) * backPenalty;
  else w1 = true;
  if (s2 >= head) d2 = s2 - head;
  else if (s2 + backMax >= head) d2 = (head - s2) * backPenalty;
  else w2 = true;
  if (!w1 && !w2) {
    if (d1 !== d2) return d1 < d2;
    return s1 >= s2;
  }
  if (w1 !== w2) return w2;
  return s1 <= s2;
}
