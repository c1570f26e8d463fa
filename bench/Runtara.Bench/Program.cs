using Runtara.Bench.Commands;
using Runtara.Bench.Infrastructure;

// One command per workload; each lives in Commands/ and is listed here.
IBenchCommand[] commands =
[
    new RpcCommand(),
    new FramesCommand(),
    new CoreCheckpointsCommand(),
    new W3ProcessCommand(),
    new W1Command(),
    new W2Command(),
    new W3Command(),
];

return await BenchHost.RunAsync(commands, args);
