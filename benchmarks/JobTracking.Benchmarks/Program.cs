using System.Globalization;
using BenchmarkDotNet.Running;
using JobTracking.Benchmarks;

// Modes of our own first; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "--compare")
{
    var jobs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
    var warmup = args.Length > 2 ? TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture)) : BenchmarkSettings.Warmup;
    await CompareReport.RunAsync(jobs, warmup, rounds: 3);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
