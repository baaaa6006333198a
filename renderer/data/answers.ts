/**
 * Wraps a question asked of the server more than once at a time (who am I, what may I do) so its
 * answers are used in the order the questions were asked: an answer that arrives after the answer
 * to a later question is older than what is already applied, and comes back as `undefined`.
 *
 * Without it, a sign-in's or a reconnect's answer that was slow could land after the answer
 * asked for by a policy change and put the old role back: its fields on screen, its partition kept.
 */
export function inOrder<T>(ask: () => Promise<T>): () => Promise<T | undefined> {
  let asked = 0;
  let answered = 0;
  return async () => {
    const mine = ++asked;
    const answer = await ask();
    if (mine < answered) return undefined;
    answered = mine;
    return answer;
  };
}
