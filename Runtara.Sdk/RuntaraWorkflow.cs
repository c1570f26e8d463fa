using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Runtara.Protocol.Contracts;
using Runtara.Sdk.Hosting;

namespace Runtara.Sdk;

/// <summary>
/// The entry point of an instance program: <c>return await RuntaraWorkflow.RunAsync(MyWorkflow.RunAsync, …);</c>
/// reads the launch contract (docs/instance-contract.md) from the environment, reads
/// <c>input.json</c>, connects and registers, runs the workflow, reports its outcome, writes
/// <c>output.json</c> and returns the process exit code (1 for failed, 75 when the core stayed
/// unreachable, 77 when a newer process of the instance superseded this one, 130 when stopped, 0 otherwise).
/// </summary>
public static class RuntaraWorkflow
{
    /// <summary>Exit code when the process was stopped before the workflow ended (128 + SIGINT, as shells report Ctrl+C).</summary>
    public const int StoppedExitCode = ExitCodes.Stopped;

    /// <summary>
    /// Exit code when the core stayed unreachable past <see cref="RuntaraInstanceOptions.CoreUnavailableTolerance"/>
    /// (<c>EX_TEMPFAIL</c>): retryable; the environment relaunches the instance without using up its retries.
    /// </summary>
    public const int CoreUnavailableExitCode = ExitCodes.CoreUnavailable;

    /// <summary>
    /// Exit code when the instance was relaunched while this process still ran and the core refused its
    /// writes (<c>STALE_INCARNATION</c>): not an end of the instance, which the newer process runs.
    /// </summary>
    public const int SupersededExitCode = ExitCodes.Superseded;

    /// <summary>Runs <paramref name="workflow"/> as this process's instance, with source-generated JSON for input and output.</summary>
    public static async Task<int> RunAsync<TInput, TOutput>(
        Workflow<TInput, TOutput> workflow,
        JsonTypeInfo<TInput> inputType,
        JsonTypeInfo<TOutput> outputType,
        RuntaraInstanceOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(inputType);
        ArgumentNullException.ThrowIfNull(outputType);

        string? outputPath = options?.OutputPath ?? System.Environment.GetEnvironmentVariable(InstanceEnvironment.OutputPath);
        try
        {
            options ??= RuntaraInstanceOptions.FromEnvironment();
            outputPath = options.OutputPath;
            options.Validate();
            await using var connection = await RuntaraConnection.ConnectAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false);
            return await RunAsync(connection, workflow, inputType, outputType, cancellationToken).ConfigureAwait(false);
        }
        catch (CoreUnavailableException ex)
        {
            return await CoreUnavailableAsync(outputPath, ex, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RuntaraException or IOException or UnauthorizedAccessException)
        {
            // Nothing ran: settings, input or registration failed. Tell the environment and exit 1.
            await Console.Error.WriteLineAsync($"runtara: {ex.Message}").ConfigureAwait(false);
            await TryWriteOutputAsync(outputPath, OutputFile.RenderFailure(ex.Message), cancellationToken).ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Runs <paramref name="workflow"/> as this process's instance; JSON through <see cref="RuntaraInstanceOptions.SerializerOptions"/>.</summary>
    public static Task<int> RunAsync<TInput, TOutput>(
        Workflow<TInput, TOutput> workflow,
        RuntaraInstanceOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        options ??= RuntaraInstanceOptions.FromEnvironment();
        return RunAsync(workflow, options.GetTypeInfo<TInput>(), options.GetTypeInfo<TOutput>(), options, loggerFactory, cancellationToken);
    }

    /// <summary>
    /// Runs the instance named by the connection's options over an existing connection (the DI path:
    /// <c>host.RunRuntaraWorkflowAsync(…)</c>): input from <see cref="RuntaraInstanceOptions.InputPath"/>,
    /// <c>output.json</c> to <see cref="RuntaraInstanceOptions.OutputPath"/>; returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync<TInput, TOutput>(
        RuntaraConnection connection,
        Workflow<TInput, TOutput> workflow,
        JsonTypeInfo<TInput> inputType,
        JsonTypeInfo<TOutput> outputType,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var options = connection.Options;
        try
        {
            options.Validate();
            var input = await ReadInputAsync(options.InputPath, inputType, cancellationToken).ConfigureAwait(false);
            var outcome = await connection.RunAsync(workflow, input, outputType, null, cancellationToken).ConfigureAwait(false);
            await TryWriteOutputAsync(options.OutputPath, OutputFile.Render(outcome, options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds()), cancellationToken).ConfigureAwait(false);
            if (outcome.Status == WorkflowStatus.Failed)
            {
                await Console.Error.WriteLineAsync($"runtara: instance {outcome.InstanceId} failed: {outcome.Error}").ConfigureAwait(false);
            }
            else if (outcome.Status == WorkflowStatus.CoreUnavailable)
            {
                await Console.Error.WriteLineAsync($"runtara: instance {outcome.InstanceId} stopped, core unavailable: {outcome.Error}").ConfigureAwait(false);
            }
            else if (outcome.Status == WorkflowStatus.Superseded)
            {
                await Console.Error.WriteLineAsync($"runtara: instance {outcome.InstanceId} stopped, superseded: {outcome.Error}").ConfigureAwait(false);
            }

            return outcome.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped from outside (Ctrl+C, SIGTERM): no outcome to report; the next launch replays.
            await Console.Error.WriteLineAsync("runtara: stopped from outside before the workflow finished; if it is launched again it resumes from its checkpoints").ConfigureAwait(false);
            return StoppedExitCode;
        }
        catch (CoreUnavailableException ex)
        {
            // Registration (before the workflow ran) could not reach the core in time.
            return await CoreUnavailableAsync(options.OutputPath, ex, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RuntaraException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"runtara: {ex.Message}").ConfigureAwait(false);
            await TryWriteOutputAsync(options.OutputPath, OutputFile.RenderFailure(ex.Message), cancellationToken).ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Reads the workflow input: the file's JSON, or <c>{}</c> when there is no input file.</summary>
    internal static async Task<TInput> ReadInputAsync<TInput>(string? path, JsonTypeInfo<TInput> inputType, CancellationToken cancellationToken)
    {
        byte[] json = path is not null && File.Exists(path)
            ? await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)
            : "{}"u8.ToArray();
        if (json.Length == 0)
        {
            json = "{}"u8.ToArray();
        }

        try
        {
            return JsonSerializer.Deserialize(json, inputType)
                ?? throw new CheckpointSerializationException("input", $"the input is null; expected {typeof(TInput).Name}");
        }
        catch (JsonException ex)
        {
            throw new CheckpointSerializationException("input", $"the input is not valid JSON for {typeof(TInput).Name}: {ex.Message}", ex);
        }
    }

    private static async Task<int> CoreUnavailableAsync(string? outputPath, CoreUnavailableException ex, CancellationToken cancellationToken)
    {
        await Console.Error.WriteLineAsync($"runtara: core unavailable: {ex.Message}").ConfigureAwait(false);
        await TryWriteOutputAsync(outputPath, OutputFile.RenderCoreUnavailable(ex.Message), cancellationToken).ConfigureAwait(false);
        return CoreUnavailableExitCode;
    }

    private static async Task TryWriteOutputAsync(string? path, byte[] content, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            await OutputFile.WriteAsync(path, content, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"runtara: cannot write {path}: {ex.Message}").ConfigureAwait(false);
        }
    }
}
