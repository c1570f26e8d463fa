using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Sdk.Backends;
using Runtara.Sdk.Backends.Core;
using Runtara.Sdk.Diagnostics;
using Runtara.Sdk.Workflows;

namespace Runtara.Sdk;

/// <summary>
/// The process's link to a core (a pooled, reconnecting RPC client) or to an embedded SQLite store,
/// shared by every instance the process runs. An instance process normally runs one instance
/// (<see cref="RuntaraWorkflow"/> does that); tests and benchmarks run many over one connection.
/// Thread-safe.
/// </summary>
public sealed class RuntaraConnection : IAsyncDisposable
{
    private readonly IInstanceBackend _backend;
    private readonly ILogger _logger;
    private readonly string _backendName;

    private RuntaraConnection(IInstanceBackend backend, RuntaraInstanceOptions options, ILoggerFactory loggerFactory, string backendName, bool isEmbedded)
    {
        _backend = backend;
        IsEmbedded = isEmbedded;
        Options = options;
        _logger = loggerFactory.CreateLogger("Runtara.Sdk.Workflow");
        _backendName = backendName;
    }

    /// <summary>The settings this connection was made with (the default identity of runs).</summary>
    public RuntaraInstanceOptions Options { get; }

    /// <summary>True when runs go to an embedded engine (Runtara.Sdk.Embedded) instead of a core.</summary>
    public bool IsEmbedded { get; }

    /// <summary>The backend runs use (tests drive the instance protocol through it directly).</summary>
    internal IInstanceBackend Backend => _backend;

    /// <summary>
    /// Connects to the core named by <paramref name="options"/> (the RPC client connects lazily, on
    /// the first call), or opens the embedded engine when <see cref="RuntaraInstanceOptions.EmbeddedDatabasePath"/> is set
    /// (which needs Runtara.Sdk.Embedded's <c>UseEmbeddedEngine()</c> on the options).
    /// </summary>
    /// <exception cref="RuntaraConfigurationException">A setting is invalid.</exception>
    public static Task<RuntaraConnection> ConnectAsync(RuntaraInstanceOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Connect(options, loggerFactory));
    }

    /// <summary>
    /// <see cref="ConnectAsync"/> without the task: the RPC client connects on its first call, and
    /// the embedded engine opens in the background (its first call waits for it).
    /// </summary>
    /// <exception cref="RuntaraConfigurationException">A setting is invalid.</exception>
    public static RuntaraConnection Connect(RuntaraInstanceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (RuntaraInstanceOptionsValidator.FindFailure(options, requireIdentity: false) is { } failure)
        {
            throw new RuntaraConfigurationException(failure.Key, failure.Message);
        }

        loggerFactory ??= NullLoggerFactory.Instance;
        if (options.EmbeddedDatabasePath is not null)
        {
            // The SDK holds no server code: the embedded engine comes from Runtara.Sdk.Embedded.
            var factory = options.EmbeddedBackendFactory ?? throw new RuntaraConfigurationException(
                InstanceEnvironment.EmbeddedDatabase, "needs the Runtara.Sdk.Embedded package: call options.UseEmbeddedEngine()");
            var (backend, name) = factory(options, loggerFactory);
            return new RuntaraConnection(backend, options, loggerFactory, name, isEmbedded: true);
        }

        var logger = loggerFactory.CreateLogger("Runtara.Sdk.Connection");
        if (options.SkipCertificateVerification)
        {
            Log.CertificateVerificationSkipped(logger);
        }

        var core = new CoreBackend(options, logger);
        return new RuntaraConnection(core, options, loggerFactory, $"core {core.Address} over {core.Transport}", isEmbedded: false);
    }

    /// <summary>Runs instances over <paramref name="backend"/> (Runtara.Sdk.Embedded's engine hands its backend out here).</summary>
    internal static RuntaraConnection ForBackend(IInstanceBackend backend, RuntaraInstanceOptions options, ILoggerFactory? loggerFactory, string backendName)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        if (RuntaraInstanceOptionsValidator.FindFailure(options, requireIdentity: false) is { } failure)
        {
            throw new RuntaraConfigurationException(failure.Key, failure.Message);
        }

        return new RuntaraConnection(backend, options, loggerFactory ?? NullLoggerFactory.Instance, backendName, isEmbedded: true);
    }

    /// <summary>
    /// Runs one instance to its end or its interruption: registers it (→ RUNNING), runs
    /// <paramref name="workflow"/> with heartbeats and signal polling in the background, and reports
    /// the outcome as the launch contract says — COMPLETED with the JSON output, FAILED with the error
    /// text, SUSPENDED after a pause (acknowledged), the cancel acknowledged (→ CANCELLED), or nothing
    /// more for a durable sleep (the core already suspended it). Does not write <c>output.json</c>;
    /// <see cref="RuntaraWorkflow"/> does.
    /// </summary>
    /// <param name="workflow">The workflow to run.</param>
    /// <param name="input">The workflow's input.</param>
    /// <param name="outputType">Serializes the workflow's result to the JSON output.</param>
    /// <param name="instance">Which instance to run; default: the identity in <see cref="Options"/>.</param>
    /// <param name="cancellationToken">Stops the run without reporting anything (host shutdown).</param>
    /// <returns>How the run ended (<see cref="WorkflowStatus"/>), with the output when it completed.</returns>
    /// <exception cref="InstanceRegistrationException">The core refused the registration.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> stopped the run (host shutdown); nothing was reported.</exception>
    public async Task<WorkflowOutcome<TOutput>> RunAsync<TInput, TOutput>(
        Workflow<TInput, TOutput> workflow, TInput input, JsonTypeInfo<TOutput> outputType, InstanceIdentity? instance = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(outputType);
        var identity = instance ?? new InstanceIdentity(
            Options.InstanceId ?? throw new RuntaraConfigurationException(InstanceEnvironment.InstanceId, "is required"),
            Options.TenantId ?? throw new RuntaraConfigurationException(InstanceEnvironment.TenantId, "is required"));
        ArgumentException.ThrowIfNullOrWhiteSpace(identity.InstanceId, nameof(instance));
        ArgumentException.ThrowIfNullOrWhiteSpace(identity.TenantId, nameof(instance));

        using var activity = Options.DisableTracing ? null : StartWorkflowActivity(identity);
        var run = new InstanceRun(_backend, Options, identity, _logger, cancellationToken);
        await using (run.ConfigureAwait(false))
        {
            await run.StartAsync(_backendName, cancellationToken).ConfigureAwait(false);
            var context = new WorkflowContext(run);
            WorkflowOutcome<TOutput> outcome;
            try
            {
                var result = await workflow(context, input, run.CancellationToken).ConfigureAwait(false);
                await run.StopLoopsAsync().ConfigureAwait(false);
                outcome = await CompleteAsync(run, result, outputType, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested || run.CancelRequested)
            {
                await run.StopLoopsAsync().ConfigureAwait(false);
                outcome = await EndAsync<TOutput>(run, ex, cancellationToken).ConfigureAwait(false);
            }

            activity?.SetTag("runtara.workflow.outcome", outcome.Status.ToString());
            if (outcome.Status == WorkflowStatus.Failed)
            {
                activity?.SetStatus(ActivityStatusCode.Error, outcome.Error);
            }

            SdkTelemetry.Runs.Add(1, new TagList { { "runtara.workflow.outcome", outcome.Status.ToString() } });
            return outcome;
        }
    }

    /// <summary>Runs one instance; the output is serialized with <see cref="RuntaraInstanceOptions.SerializerOptions"/>.</summary>
    public Task<WorkflowOutcome<TOutput>> RunAsync<TInput, TOutput>(
        Workflow<TInput, TOutput> workflow, TInput input, InstanceIdentity? instance = null, CancellationToken cancellationToken = default) =>
        RunAsync(workflow, input, Options.GetTypeInfo<TOutput>(), instance, cancellationToken);

    /// <summary>The status of any instance (GetInstanceStatus).</summary>
    public Task<InstanceStatusInfo> GetStatusAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        return _backend.GetStatusAsync(instanceId, cancellationToken);
    }

    /// <summary>Closes the connection to the core (or the embedded store).</summary>
    public ValueTask DisposeAsync() => _backend.DisposeAsync();

    private Activity? StartWorkflowActivity(InstanceIdentity identity)
    {
        // A launched instance joins the trace of the StartInstance call (TRACEPARENT, launch contract).
        ActivityContext parent = default;
        if (Activity.Current is null && Options.TraceParent is { } traceParent)
        {
            ActivityContext.TryParse(traceParent, Options.TraceState, out parent);
        }

        var activity = SdkTelemetry.Source.StartActivity("workflow", ActivityKind.Internal, parent);
        activity?.SetTag("runtara.instance.id", identity.InstanceId);
        activity?.SetTag("runtara.tenant.id", identity.TenantId);
        return activity;
    }

    private async Task<WorkflowOutcome<TOutput>> CompleteAsync<TOutput>(InstanceRun run, TOutput result, JsonTypeInfo<TOutput> outputType, CancellationToken cancellationToken)
    {
        // A workflow that returned after its writes were refused (it caught the error) still reports nothing.
        if (_backend.Superseded(run.InstanceId) is { } superseded)
        {
            return Superseded<TOutput>(run, superseded);
        }

        byte[] json;
        try
        {
            json = JsonSerializer.SerializeToUtf8Bytes(result, outputType);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            var error = new CheckpointSerializationException("output", $"the workflow output cannot be serialized: {ex.Message}", ex);
            return await FailAsync<TOutput>(run, error, cancellationToken).ConfigureAwait(false);
        }

        var reported = await ReportAsync(run, WorkflowStatus.Completed, () => _backend.SendEventAsync(InstanceEvents.Completed(run.InstanceId, json, run.NowMs()), cancellationToken)).ConfigureAwait(false);
        Log.InstanceCompleted(_logger, run.InstanceId);
        return new WorkflowOutcome<TOutput>(run.InstanceId, WorkflowStatus.Completed) { Result = result, ResultJson = json, Reported = reported };
    }

    private async Task<WorkflowOutcome<TOutput>> EndAsync<TOutput>(InstanceRun run, Exception exception, CancellationToken cancellationToken)
    {
        // First: a superseded run must not acknowledge, suspend or fail the instance the newer process runs.
        if ((_backend.Superseded(run.InstanceId) ?? Find<InstanceSupersededException>(exception)) is { } superseded)
        {
            return Superseded<TOutput>(run, superseded, exception);
        }

        var interruption = FindInterruption(exception);
        if (interruption?.Reason is InterruptionReason.Sleeping or InterruptionReason.Waiting)
        {
            // The core already stored the wake-up time (or the wait) and set SUSPENDED: nothing more to report.
            return new WorkflowOutcome<TOutput>(run.InstanceId, interruption.Reason == InterruptionReason.Sleeping ? WorkflowStatus.Sleeping : WorkflowStatus.Waiting)
            {
                CheckpointId = interruption.CheckpointId,
                WakeAt = interruption.WakeAt,
                Exception = interruption,
            };
        }

        if (run.CancelRequested)
        {
            var reported = await ReportAsync(run, WorkflowStatus.Cancelled, async () =>
            {
                if (!await run.AcknowledgeAndConfirmAsync(SignalKind.Cancel, cancellationToken).ConfigureAwait(false))
                {
                    Log.AckNotConfirmed(_logger, run.InstanceId, SignalKind.Cancel, _backendName);
                }
            }).ConfigureAwait(false);
            Log.InstanceCancelled(_logger, run.InstanceId);
            return new WorkflowOutcome<TOutput>(run.InstanceId, WorkflowStatus.Cancelled) { Exception = exception, Reported = reported };
        }

        if (interruption?.Reason == InterruptionReason.Paused || (run.PauseRequested && exception is OperationCanceledException))
        {
            var checkpointId = run.LastCheckpointId;
            var reported = await ReportAsync(run, WorkflowStatus.Suspended, async () =>
            {
                if (!await run.AcknowledgeAndConfirmAsync(SignalKind.Pause, cancellationToken).ConfigureAwait(false))
                {
                    Log.AckNotConfirmed(_logger, run.InstanceId, SignalKind.Pause, _backendName);
                }

                await _backend.SendEventAsync(InstanceEvents.Suspended(run.InstanceId, checkpointId, run.NowMs()), cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            Log.InstancePaused(_logger, run.InstanceId, checkpointId);
            return new WorkflowOutcome<TOutput>(run.InstanceId, WorkflowStatus.Suspended) { CheckpointId = checkpointId, Exception = exception, Reported = reported };
        }

        if (Find<CoreUnavailableException>(exception) is { } outage)
        {
            // Not the workflow's failure, and the core cannot be told anyway: report nothing, so
            // the environment relaunches it from its checkpoints when the core is back.
            Log.InstanceCoreUnavailable(_logger, run.InstanceId, outage);
            return new WorkflowOutcome<TOutput>(run.InstanceId, WorkflowStatus.CoreUnavailable) { Error = outage.Message, Exception = exception, Reported = false };
        }

        return await FailAsync<TOutput>(run, exception, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The end of a run whose instance a newer process registered: nothing reported, nothing more written.</summary>
    private WorkflowOutcome<TOutput> Superseded<TOutput>(InstanceRun run, InstanceSupersededException superseded, Exception? exception = null)
    {
        Log.InstanceSuperseded(_logger, run.InstanceId, superseded.Message);
        return new WorkflowOutcome<TOutput>(run.InstanceId, WorkflowStatus.Superseded) { Error = superseded.Message, Exception = exception ?? superseded, Reported = false };
    }

    /// <summary>The first <typeparamref name="TException"/> in <paramref name="exception"/>'s chain (inner and aggregated exceptions).</summary>
    internal static TException? Find<TException>(Exception? exception)
        where TException : Exception
    {
        for (var depth = 0; exception is not null && depth < 16; depth++)
        {
            if (exception is TException found)
            {
                return found;
            }

            if (exception is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (Find<TException>(inner) is { } nested)
                    {
                        return nested;
                    }
                }

                return null;
            }

            exception = exception.InnerException;
        }

        return null;
    }

    private async Task<WorkflowOutcome<TOutput>> FailAsync<TOutput>(InstanceRun run, Exception exception, CancellationToken cancellationToken)
    {
        var error = DescribeError(exception);
        Log.InstanceFailed(_logger, run.InstanceId, exception);
        var reported = await ReportAsync(run, WorkflowStatus.Failed, () => _backend.SendEventAsync(InstanceEvents.Failed(run.InstanceId, error, run.NowMs()), cancellationToken)).ConfigureAwait(false);
        return new WorkflowOutcome<TOutput>(run.InstanceId, WorkflowStatus.Failed) { Error = error, Exception = exception, Reported = reported };
    }

    private async Task<bool> ReportAsync(InstanceRun run, WorkflowStatus status, Func<Task> report)
    {
        try
        {
            await report().ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RuntaraException or IOException or OperationCanceledException)
        {
            Log.ReportFailed(_logger, run.InstanceId, status, ex);
            return false;
        }
    }

    /// <summary>The error text of FAILED: the exception's type and message, with the step's cause for step failures.</summary>
    internal static string DescribeError(Exception exception) => exception switch
    {
        StepFailedException step when step.InnerException is { } inner => $"{step.Message} ({inner.GetType().Name})",
        RuntaraException runtara => runtara.Message,
        AggregateException { InnerExceptions.Count: 1 } aggregate => DescribeError(aggregate.InnerExceptions[0]),
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    private static WorkflowInterruptedException? FindInterruption(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 16; depth++)
        {
            if (exception is WorkflowInterruptedException interrupted)
            {
                return interrupted;
            }

            if (exception is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (FindInterruption(inner) is { } found)
                    {
                        return found;
                    }
                }
            }

            exception = exception.InnerException;
        }

        return null;
    }
}
