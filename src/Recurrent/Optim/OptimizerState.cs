// The saved state of an optimizer, laid out like PyTorch's optimizer.state_dict(): one tensor per
// (buffer, parameter) pair under the key "{buffer}.{parameter name}", e.g. "exp_avg.encoder.weight".
using Recurrent.Tensors;

namespace Recurrent.Optim;

/// <summary>
/// A snapshot of an optimizer: its kind, step count, learning rate and per-parameter buffers.
/// </summary>
/// <param name="Kind">The optimizer's kind (<c>Sgd</c>, <c>Adam</c>, <c>AdamW</c>, <c>RmsProp</c>, <c>Adagrad</c>).</param>
/// <param name="StepCount">How many times <see cref="Optimizer.Step"/> had run.</param>
/// <param name="LearningRate">The learning rate at the time of saving.</param>
/// <param name="Tensors">
/// Buffers keyed <c>{buffer}.{parameter name}</c>, each with the parameter's shape, except the per-parameter
/// step counter <c>step.{parameter name}</c>, a rank-0 tensor holding a whole number (as in PyTorch).
/// Parameters that never received a gradient have no entries.
/// </param>
public sealed record OptimizerState(string Kind, int StepCount, float LearningRate, IReadOnlyDictionary<string, Tensor> Tensors);
