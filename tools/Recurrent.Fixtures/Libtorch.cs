// Loads libtorch through TorchSharp in a way that works on this project's Debian 12 machines
// (see ElfVersionNeeds.cs), with one intra-op thread so that reruns reproduce the fixtures bit for bit.
using Recurrent.LibtorchSupport;
using System.Reflection;
using TorchSharp;

namespace Recurrent.Fixtures;

internal static class Libtorch
{
    /// <summary>Prepares the native shim and loads libtorch on the CPU with one thread.</summary>
    public static void Initialize()
    {
        string shim = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(shim)) ElfVersionNeeds.MarkWeak(shim, "GLIBCXX_3.4.31", "GLIBCXX_3.4.32");
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.set_num_threads(1);
        torch.set_num_interop_threads(1);
    }

    /// <summary>The TorchSharp package version, e.g. "0.107.0".</summary>
    public static string TorchSharpVersion
    {
        get
        {
            var assembly = typeof(torch).Assembly;
            string? informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            if (!string.IsNullOrEmpty(informational)) return informational.Split('+')[0];
            return assembly.GetName().Version?.ToString() ?? "unknown";
        }
    }

    /// <summary>The libtorch version, as torch.__version__ reports it.</summary>
    public static string TorchVersion => torch.__version__;
}
