namespace Runtara.Bench.Infrastructure;

/// <summary>One benchmark workload, selected by its name on the command line.</summary>
internal interface IBenchCommand
{
    /// <summary>The verb, e.g. <c>rpc</c>.</summary>
    string Name { get; }

    /// <summary>One-line usage shown by <c>--help</c>.</summary>
    string Usage { get; }

    Task<int> RunAsync(BenchArguments arguments, CancellationToken cancellationToken);
}
