// Batches for stateful truncated BPTT, as in char-rnn and PyTorch's word_language_model: the token
// sequence is cut into B contiguous streams, and consecutive windows of each stream go to the same batch
// row, so the hidden state carried from one window to the next belongs to the text that follows.
//
//   N tokens, B streams, L = (N − 1) / B steps per stream (the last N − 1 − B·L tokens are unused)
//   stream_b[i] = tokens[b·L + i],  i = 0 … L   (L + 1 tokens, so every input has a target)
//   window at position p of T steps:  input[t, b] = stream_b[p + t],  target[t, b] = stream_b[p + t + 1]
//
// The last token of stream b is the first of stream b + 1: it is a target in b and an input in b + 1.
namespace Recurrent.Data;

/// <summary>Cuts a token sequence into parallel streams and fills time-major input/target windows from them.</summary>
public sealed class TokenStreams
{
    private readonly int[] _tokens;

    /// <summary>Cuts <paramref name="tokens"/> into <paramref name="batchSize"/> streams of equal length.</summary>
    /// <param name="tokens">The token ids of the whole text, N of them. Read, not copied: do not change the array while the streams are in use.</param>
    /// <param name="batchSize">B, the number of streams (≥ 1).</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> &lt; 1.</exception>
    /// <exception cref="RecurrentDataException">The text is too short to give each stream at least 2 steps (N &lt; 2B + 1).</exception>
    public TokenStreams(int[] tokens, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"TokenStreams: the batch size must be at least 1; got {batchSize}.");
        int length = (tokens.Length - 1) / batchSize;
        if (length < 2)
        {
            long needed = 2L * batchSize + 1;
            int fits = Math.Max(0, (tokens.Length - 1) / 2);
            string fix = fits >= 1
                ? $"use a batch size of at most {fits} or a longer text"
                : "use a longer text";
            throw new RecurrentDataException(
                $"TokenStreams: the text has {tokens.Length} tokens, which is too short for {batchSize} streams " +
                $"(each stream needs at least 2 steps, so at least {needed} tokens); {fix}.");
        }
        _tokens = tokens;
        BatchSize = batchSize;
        StreamLength = length;
    }

    /// <summary>B, the number of parallel streams (one per batch row).</summary>
    public int BatchSize { get; }

    /// <summary>L, the number of steps in each stream; stream b covers tokens[b·L] … tokens[b·L + L] inclusive.</summary>
    public int StreamLength { get; }

    /// <summary>Writes the window of <paramref name="steps"/> steps starting at <paramref name="position"/>.</summary>
    /// <param name="position">The first step of the window, p (0 ≤ p, p + steps ≤ L).</param>
    /// <param name="steps">T, the window length (≥ 0).</param>
    /// <param name="inputs">[T, B] time-major: inputs[t·B + b] = stream_b[p + t]. Length exactly T·B.</param>
    /// <param name="targets">[T, B] time-major: targets[t·B + b] = stream_b[p + t + 1]. Length exactly T·B.</param>
    /// <exception cref="ArgumentOutOfRangeException">The window does not lie inside [0, L].</exception>
    /// <exception cref="ArgumentException">A span's length is not T·B.</exception>
    public void Fill(int position, int steps, Span<int> inputs, Span<int> targets)
    {
        if (position < 0 || position > StreamLength)
            throw new ArgumentOutOfRangeException(nameof(position), position,
                $"TokenStreams.Fill: position must be in [0, {StreamLength}] (the stream length); got {position}.");
        if (steps < 0 || steps > StreamLength - position)
            throw new ArgumentOutOfRangeException(nameof(steps), steps,
                $"TokenStreams.Fill: position + steps must be at most the stream length {StreamLength}; got position {position} + steps {steps} = {(long)position + steps}. Shorten the last window.");
        int size = steps * BatchSize;
        if (inputs.Length != size)
            throw new ArgumentException($"TokenStreams.Fill: inputs must hold steps·batch = {steps}·{BatchSize} = {size} ids; got {inputs.Length}.", nameof(inputs));
        if (targets.Length != size)
            throw new ArgumentException($"TokenStreams.Fill: targets must hold steps·batch = {steps}·{BatchSize} = {size} ids; got {targets.Length}.", nameof(targets));

        int B = BatchSize, L = StreamLength;
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < B; b++)
            {
                int source = b * L + position + t;
                inputs[t * B + b] = _tokens[source];
                targets[t * B + b] = _tokens[source + 1];
            }
        }
    }
}
