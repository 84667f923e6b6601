// Hyperparameters of the encoder-decoder network.
using Recurrent.Nn;

namespace Recurrent.Tasks.Seq2Seq;

/// <summary>The shape of a <see cref="Seq2SeqNetwork"/>. Validates itself.</summary>
/// <param name="SourceVocabularySize">V_s, source tokens (reserved ones included).</param>
/// <param name="TargetVocabularySize">V_t, target tokens (reserved ones included).</param>
/// <param name="Cell">The recurrent cell of encoder and decoder.</param>
/// <param name="EmbeddingSize">E, the size of source and target embeddings.</param>
/// <param name="EncoderHidden">H_e per direction.</param>
/// <param name="EncoderLayers">L_e.</param>
/// <param name="Bidirectional">Whether the encoder reads both ways (D = 2).</param>
/// <param name="DecoderHidden">H_d.</param>
/// <param name="DecoderLayers">L_d.</param>
/// <param name="Attention">The attention form (none: the fixed-vector model).</param>
/// <param name="AttentionSize">A, Bahdanau's score hidden size.</param>
/// <param name="Dropout">On embeddings, between layers and before the output layer, in [0, 1).</param>
/// <param name="ReverseSource">Feed the source reversed (Sutskever et al. 2014).</param>
public sealed record Seq2SeqShape(int SourceVocabularySize, int TargetVocabularySize, CellKind Cell, int EmbeddingSize,
    int EncoderHidden, int EncoderLayers, bool Bidirectional, int DecoderHidden, int DecoderLayers,
    AttentionKind Attention, int AttentionSize, float Dropout, bool ReverseSource)
{
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="ArgumentException">luong-dot with a decoder size that differs from the encoder output size.</exception>
    public void Validate()
    {
        if (SourceVocabularySize < 5 || TargetVocabularySize < 5)
            throw new ArgumentOutOfRangeException(nameof(SourceVocabularySize), $"Each vocabulary needs at least one token besides the 4 reserved ones; got {SourceVocabularySize} and {TargetVocabularySize}.");
        if (EmbeddingSize < 1 || EncoderHidden < 1 || EncoderLayers < 1 || DecoderHidden < 1 || DecoderLayers < 1 || AttentionSize < 1)
            throw new ArgumentOutOfRangeException(nameof(EncoderHidden), "--embed, --hidden, --layers, --decoder-hidden, --decoder-layers and --attention-size must be ≥ 1.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "--dropout must be in [0, 1).");
        if (Attention == AttentionKind.LuongDot && DecoderHidden != MemorySize)
            throw new ArgumentException($"--attention luong-dot needs the decoder hidden size ({DecoderHidden}) to equal the encoder output size ({MemorySize} = hidden × directions); use luong-general or bahdanau, or set --decoder-hidden {MemorySize}.");
    }

    /// <summary>F = D·H_e, the width of the encoder outputs.</summary>
    public int MemorySize => (Bidirectional ? 2 : 1) * EncoderHidden;

    /// <summary>The decoder RNN's input: the embedding plus the fed-back attentional state (Luong) or the context (Bahdanau).</summary>
    public int DecoderInputSize => EmbeddingSize + Attention switch
    {
        AttentionKind.None => 0,
        AttentionKind.Bahdanau => MemorySize,
        _ => DecoderHidden,
    };
}
