// Which completion tokens a GRPO loss counts: everything through the first end-of-sequence token (the EOS itself
// included, as TRL's completion_mask is `index <= first EOS`); a completion that never emitted one was cut at the
// length limit and counts in full, unless mask_truncated_completions drops it from the loss altogether.

export interface CompletionMask {
  /** Leading tokens the loss counts (0 for a masked truncated completion). */
  length: number;
  /** No EOS among the tokens: the completion hit the length limit. */
  truncated: boolean;
}

export function completionMask(tokens: ArrayLike<number>, eosIds: ReadonlySet<number> | readonly number[], opts: { maskTruncated?: boolean } = {}): CompletionMask {
  const eos = eosIds instanceof Set ? eosIds : new Set(eosIds as readonly number[]);
  if (eos.size === 0) throw new Error("completion mask: no end-of-sequence token ids given");
  for (let t = 0; t < tokens.length; t++) {
    if (eos.has(tokens[t])) return { length: t + 1, truncated: false };
  }
  return { length: opts.maskTruncated ? 0 : tokens.length, truncated: true };
}
