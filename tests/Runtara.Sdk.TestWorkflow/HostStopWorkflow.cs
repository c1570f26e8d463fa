using System.Text.Json.Serialization;
using Microsoft.Extensions.Hosting;

namespace Runtara.Sdk.TestWorkflow;

public sealed record ChargeInput(string SideEffectFile);

public sealed record ChargeOutput(long Charged, string Receipt);

/// <summary>
/// The "host stop" mode (<see cref="ModeVariable"/> = <see cref="Mode"/>): the documented hosted
/// pattern (<c>AddRuntaraInstance</c> + <c>RunRuntaraWorkflowAsync</c>, so the run's token is linked to
/// host shutdown), running a "charge" step whose action appends a line to the input's side-effect file.
/// On its first execution (the file was empty) the action then holds its end until host shutdown
/// (SIGTERM to this process) has cancelled its token, and returns its result anyway: the step's
/// checkpoint is saved while the run is already stopping. A second step follows, so a completed run
/// shows the relaunch went past the charge.
/// </summary>
public static class HostStopWorkflow
{
    /// <summary>The environment variable that selects a test workflow other than the counting one.</summary>
    public const string ModeVariable = "RUNTARA_TEST_WORKFLOW";

    public const string Mode = "host-stop";

    /// <summary>Written to stderr once the charge's side effect is done and the action waits for the stop.</summary>
    public const string WaitingForStop = "charged; waiting for the host to stop";

    public static async Task<int> RunHostedAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.AddRuntaraInstance(configureSettings: options =>
        {
            options.UseEmbeddedEngine();
            options.DisableTracing = true;
            options.DisableMetrics = true;
        });
        using var host = builder.Build();
        return await host.RunRuntaraWorkflowAsync(RunAsync, HostStopJson.Default.ChargeInput, HostStopJson.Default.ChargeOutput);
    }

    public static async Task<ChargeOutput> RunAsync(WorkflowContext context, ChargeInput input, CancellationToken cancellationToken)
    {
        var charged = await context.StepAsync(
            "charge",
            async ct =>
            {
                var first = !File.Exists(input.SideEffectFile) || new FileInfo(input.SideEffectFile).Length == 0;
                await using (var file = new FileStream(input.SideEffectFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
                {
                    file.Write("charged 1250\n"u8);
                    file.Flush(flushToDisk: true);
                }

                if (first)
                {
                    await Console.Error.WriteLineAsync(WaitingForStop);
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(20), ct);
                        await Console.Error.WriteLineAsync("the host did not stop within 20 s");
                    }
                    catch (OperationCanceledException)
                    {
                        await Console.Error.WriteLineAsync("host stopping: the charge returns its result");
                    }
                }

                return 1250L;
            },
            HostStopJson.Default.Int64,
            RetryPolicy.None,
            cancellationToken);
        var receipt = await context.StepAsync("receipt", _ => Task.FromResult($"receipt-{charged}"), HostStopJson.Default.String, RetryPolicy.None, cancellationToken);
        return new ChargeOutput(charged, receipt);
    }
}

[JsonSerializable(typeof(ChargeInput))]
[JsonSerializable(typeof(ChargeOutput))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
internal sealed partial class HostStopJson : JsonSerializerContext;
