// The entry point the tasks call: greedy decoding for a beam of 1, beam search otherwise.
namespace Recurrent.Tasks.Decoding;

/// <summary>Decodes with greedy search or beam search, as <see cref="DecodingOptions.BeamSize"/> says.</summary>
public static class SequenceDecoder
{
    /// <summary>The best output per input: <see cref="GreedyDecoder"/> when K = 1, else <see cref="BeamSearch"/>.</summary>
    /// <param name="decoder">The model.</param>
    /// <param name="initialState">State of the <paramref name="batchSize"/> rows before the first token; the search takes it over and releases it.</param>
    /// <param name="batchSize">B, the number of inputs.</param>
    /// <param name="options">The decoding settings.</param>
    public static IReadOnlyList<DecodedSequence> Decode<TState>(IStepDecoder<TState> decoder, TState initialState, int batchSize, DecodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.BeamSize == 1
            ? GreedyDecoder.Decode(decoder, initialState, batchSize, options)
            : BeamSearch.Decode(decoder, initialState, batchSize, options);
    }
}
