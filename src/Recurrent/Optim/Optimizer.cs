// Base of the optimizers: the parameter list, the learning rate, per-parameter buffers and step counters,
// and saving/loading them. Each optimizer writes its own update in Step(); like torch.optim, a parameter
// whose gradient is null is skipped (its buffers are neither created nor advanced). Buffers are float32
// tensors shaped like their parameter, created on the parameter's first update; after that a step
// allocates nothing (the weight-decayed gradient and temporaries live in two scratch arrays).
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Optim;

/// <summary>Updates parameters from their gradients.</summary>
public abstract class Optimizer
{
    private readonly NamedParameter[] _parameters;
    private readonly Dictionary<string, int> _indexByName;
    private readonly string[] _bufferNames;
    private readonly bool _countsParameterSteps;
    private Tensor[]?[] _buffers;
    private int[] _parameterSteps;
    private readonly int _maxLength;
    private float[]? _scratchA, _scratchB;   // allocated on first use: Adam without AMSGrad and weight decay needs none
    private float _learningRate;

    /// <summary>Sets up an optimizer over <paramref name="parameters"/>.</summary>
    /// <param name="kind">The name saved in <see cref="OptimizerState.Kind"/>.</param>
    /// <param name="parameters">The parameters to update, with unique names.</param>
    /// <param name="learningRate">The initial learning rate (≥ 0).</param>
    /// <param name="bufferNames">PyTorch's names for the per-parameter buffers, e.g. <c>exp_avg</c>.</param>
    /// <param name="countsParameterSteps">Whether each parameter keeps a step counter (<c>step</c> in PyTorch).</param>
    /// <exception cref="ArgumentException">The list is empty, or a name or parameter appears twice.</exception>
    protected Optimizer(string kind, IReadOnlyList<NamedParameter> parameters, float learningRate,
        IReadOnlyList<string> bufferNames, bool countsParameterSteps)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0)
            throw new ArgumentException($"{kind}: the parameter list is empty; pass the model's NamedParameters().", nameof(parameters));
        Kind = kind;
        _parameters = [.. parameters];
        _indexByName = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        int maxLength = 0;
        for (int i = 0; i < _parameters.Length; i++)
        {
            var (name, parameter) = _parameters[i];
            if (parameter is null || string.IsNullOrEmpty(name))
                throw new ArgumentException($"{kind}: parameter {i} has no name or is null; every entry needs a name and a parameter.", nameof(parameters));
            if (!_indexByName.TryAdd(name, i) || !seen.Add(parameter))
                throw new ArgumentException($"{kind}: parameter '{name}' (index {i}) appears more than once; list each parameter once.", nameof(parameters));
            maxLength = Math.Max(maxLength, parameter.Value.Length);
        }
        _bufferNames = [.. bufferNames];
        _countsParameterSteps = countsParameterSteps;
        _buffers = new Tensor[]?[_parameters.Length];
        _parameterSteps = new int[_parameters.Length];
        _maxLength = maxLength;
        LearningRate = learningRate;
    }

    /// <summary>The optimizer's kind, as saved in <see cref="OptimizerState.Kind"/>.</summary>
    public string Kind { get; }

    /// <summary>The learning rate used by the next <see cref="Step"/>; a schedule may change it between steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative or not finite.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = OptionChecks.NonNegative(value, Kind, nameof(LearningRate));
    }

    /// <summary>How many times <see cref="Step"/> has run.</summary>
    public int StepCount { get; protected set; }

    /// <summary>The weight decay that applies to <paramref name="parameter"/>: none for one exempt from it (a normalisation's gain or shift).</summary>
    protected static float WeightDecayOf(Parameter parameter, float weightDecay) => parameter.ExemptFromWeightDecay ? 0f : weightDecay;

    /// <summary>
    /// L2 weight decay coupled to the gradient, as torch.optim's: g + λ·θ in <see cref="ScratchA"/> when λ applies to
    /// <paramref name="parameter"/>, else <paramref name="g"/> itself (the gradient tensor is never modified).
    /// </summary>
    protected ReadOnlySpan<float> GradientWithDecay(Parameter parameter, float weightDecay, ReadOnlySpan<float> g)
    {
        float decay = WeightDecayOf(parameter, weightDecay);
        if (decay == 0) return g;
        Span<float> decayed = ScratchA(g.Length);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(parameter.Value.Span, decay, g, decayed);
        return decayed;
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<NamedParameter> Parameters => _parameters;

    /// <summary>Updates every parameter that has a gradient; parameters whose gradient is null are skipped.</summary>
    /// <remarks>
    /// An implementation calls <see cref="BuffersOf"/> and <see cref="NextParameterStep"/> for each parameter it
    /// updates, and increments <see cref="StepCount"/> once at the end.
    /// </remarks>
    public abstract void Step();

    /// <summary>Sets every parameter's gradient to zero (keeping its storage).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.Parameter.ZeroGrad();
    }

    /// <summary>The buffers of a parameter, created zero-filled on first use.</summary>
    /// <param name="index">The parameter's position in <see cref="Parameters"/>.</param>
    /// <param name="created">True when the buffers were created by this call (the caller may initialize them).</param>
    protected Tensor[] BuffersOf(int index, out bool created)
    {
        created = _buffers[index] is null;
        if (created)
        {
            int[] shape = _parameters[index].Parameter.Value.Shape.ToArray();
            var buffers = new Tensor[_bufferNames.Length];
            for (int b = 0; b < buffers.Length; b++) buffers[b] = Tensor.Zeros(shape);
            _buffers[index] = buffers;
        }
        return _buffers[index]!;
    }

    /// <summary>Advances parameter <paramref name="index"/>'s step counter and returns the new value (1 on its first update).</summary>
    protected int NextParameterStep(int index) => ++_parameterSteps[index];

    /// <summary>Scratch space of <paramref name="length"/> floats (first of two independent arrays).</summary>
    protected Span<float> ScratchA(int length) => (_scratchA ??= new float[_maxLength]).AsSpan(0, length);

    /// <summary>Scratch space of <paramref name="length"/> floats (second of two independent arrays).</summary>
    protected Span<float> ScratchB(int length) => (_scratchB ??= new float[_maxLength]).AsSpan(0, length);

    /// <summary>A copy of the optimizer's state; stepping after <see cref="LoadState"/> of it continues bit for bit.</summary>
    public OptimizerState SaveState()
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (_buffers[i] is not Tensor[] buffers) continue;
            string name = _parameters[i].Name;
            if (_countsParameterSteps) tensors[StepKey(name)] = Tensor.FromArray([_parameterSteps[i]]);
            for (int b = 0; b < buffers.Length; b++) tensors[$"{_bufferNames[b]}.{name}"] = buffers[b].Clone();
        }
        return new OptimizerState(Kind, StepCount, LearningRate, tensors);
    }

    /// <summary>Replaces the optimizer's state with a copy of <paramref name="state"/>.</summary>
    /// <exception cref="RecurrentDataException">
    /// The state is from another kind of optimizer, names an unknown buffer or parameter, has a tensor of the
    /// wrong shape, or lacks some of a parameter's buffers. Nothing is changed when this is thrown.
    /// </exception>
    public void LoadState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.Tensors, nameof(state.Tensors));
        if (state.Kind != Kind)
            throw new RecurrentDataException($"{Kind}.LoadState: the state was saved by a '{state.Kind}' optimizer, expected '{Kind}'; create the same kind of optimizer that saved it.");
        if (state.StepCount < 0 || !float.IsFinite(state.LearningRate) || state.LearningRate < 0)
            throw new RecurrentDataException($"{Kind}.LoadState: step count {state.StepCount} and learning rate {state.LearningRate} must both be ≥ 0 (and finite); the state is corrupt.");

        var buffers = new Tensor[]?[_parameters.Length];
        var steps = new int[_parameters.Length];
        var found = new int[_parameters.Length];
        foreach (var (key, tensor) in state.Tensors)
        {
            int dot = key.IndexOf('.');
            string buffer = dot < 0 ? key : key[..dot];
            string name = dot < 0 ? "" : key[(dot + 1)..];
            int b = Array.IndexOf(_bufferNames, buffer);
            bool isStep = _countsParameterSteps && buffer == "step";
            if ((b < 0 && !isStep) || !_indexByName.TryGetValue(name, out int i))
                throw new RecurrentDataException($"{Kind}.LoadState: unknown key '{key}'; expected '{{buffer}}.{{parameter name}}' with a buffer among [{string.Join(", ", ExpectedBufferNames())}] and a parameter of this optimizer.");
            if (tensor is null)
                throw new RecurrentDataException($"{Kind}.LoadState: tensor '{key}' is missing (null); the state is corrupt.");
            Tensor parameter = _parameters[i].Parameter.Value;
            if (isStep)
            {
                if (tensor.Rank != 0)
                    throw new RecurrentDataException($"{Kind}.LoadState: tensor '{key}' has shape {tensor.ShapeText}, expected [] (a single step count); the state is corrupt.");
                float value = tensor[0];
                if (!(value >= 0 && value <= int.MaxValue && value == MathF.Floor(value)))
                    throw new RecurrentDataException($"{Kind}.LoadState: tensor '{key}' holds {value}, expected a whole number ≥ 0; the state is corrupt.");
                steps[i] = (int)value;
            }
            else
            {
                if (!tensor.SameShape(parameter))
                    throw new RecurrentDataException($"{Kind}.LoadState: tensor '{key}' has shape {tensor.ShapeText}, expected {parameter.ShapeText} (the shape of parameter '{name}'); load a state saved for this model.");
                (buffers[i] ??= new Tensor[_bufferNames.Length])[b] = tensor.Clone();
            }
            found[i]++;
        }

        int expectedPerParameter = _bufferNames.Length + (_countsParameterSteps ? 1 : 0);
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (found[i] != 0 && found[i] != expectedPerParameter)
            {
                string name = _parameters[i].Name;
                string missing = string.Join(", ", ExpectedBufferNames().Select(n => $"{n}.{name}").Where(k => !state.Tensors.ContainsKey(k)));
                throw new RecurrentDataException($"{Kind}.LoadState: parameter '{name}' has {found[i]} of its {expectedPerParameter} tensors; missing [{missing}]. Load a state saved with the same options (e.g. amsgrad, momentum, centered).");
            }
        }

        _buffers = buffers;
        _parameterSteps = steps;
        StepCount = state.StepCount;
        LearningRate = state.LearningRate;
    }

    private IEnumerable<string> ExpectedBufferNames() =>
        _countsParameterSteps ? _bufferNames.Prepend("step") : _bufferNames;

    private static string StepKey(string name) => $"step.{name}";
}
