// Loads libtorch through TorchSharp in a way that works on this project's Debian 12 machines.
using Recurrent.LibtorchSupport;
using TorchSharp;

namespace Recurrent.Bench;

internal static class Libtorch
{
    /// <summary>Prepares the native shim, loads libtorch and sets its intra-op thread count.</summary>
    public static void Initialize(int threads)
    {
        string shim = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(shim)) ElfVersionNeeds.MarkWeak(shim, "GLIBCXX_3.4.31", "GLIBCXX_3.4.32");
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.set_num_threads(threads);
        torch.set_num_interop_threads(1);
    }

    public static string Describe() => $"libtorch via TorchSharp {typeof(torch).Assembly.GetName().Version}, {torch.get_num_threads()} intra-op thread(s)";
}
