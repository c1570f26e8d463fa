using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Runtara.Protocol.Transport;
using Runtara.Sdk.Backends;

namespace Runtara.Sdk;

/// <summary>
/// Settings of an instance: who it is, where its core is, and how it runs. Read from the launch
/// contract's environment variables (docs/instance-contract.md) by <see cref="FromEnvironment()"/>,
/// bound from the <c>Runtara:Instance</c> configuration section by <c>AddRuntaraInstance()</c>, or
/// set in code. Validated before use (<see cref="Validate"/>).
/// </summary>
public sealed class RuntaraInstanceOptions : IInstanceSettings
{
    /// <summary>The default configuration section.</summary>
    public const string SectionName = "Runtara:Instance";

    /// <summary>The default core address (SPEC §15.1).</summary>
    public const string DefaultServerAddress = "127.0.0.1:8001";

    /// <summary>The instance id (<c>RUNTARA_INSTANCE_ID</c>, required).</summary>
    public string? InstanceId { get; set; }

    /// <summary>The tenant the instance belongs to (<c>RUNTARA_TENANT_ID</c>, required).</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// The credential presented to the core (<c>RUNTARA_INSTANCE_TOKEN</c>, minted by the environment at
    /// launch): an instance token, renewed before it expires. Never logged. See docs/security.md.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>
    /// Core instance-protocol address (<c>RUNTARA_SERVER_ADDR</c>): <c>host:port</c>, <c>[v6]:port</c>
    /// or <c>tcp://host:port</c>, or a comma-separated list of the cores of one database
    /// (<c>host1:8001,host2:8001</c>): a call that cannot connect to one is made to the next, and the
    /// SDK keeps to the one that works. Default <c>127.0.0.1:8001</c>.
    /// </summary>
    public string ServerAddress { get; set; } = DefaultServerAddress;

    /// <summary>TLS name to verify (<c>RUNTARA_SERVER_NAME</c>); default: the host, or <c>localhost</c> for IP literals.</summary>
    public string? ServerName { get; set; }

    /// <summary>Transport (<c>RUNTARA_TRANSPORT</c>: <c>auto</c>, <c>quic</c> or <c>tcp</c>).</summary>
    public TransportKind Transport { get; set; } = TransportKind.Auto;

    /// <summary>PEM certificate to pin (<c>RUNTARA_TLS_PINNED_CERT</c>): how instances trust a development certificate.</summary>
    public string? PinnedCertificatePath { get; set; }

    /// <summary>PEM CA bundle to trust instead of the system store (<c>RUNTARA_TLS_CA_CERT</c>).</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>Accept any server certificate (<c>RUNTARA_SKIP_CERT_VERIFICATION</c>). Dangerous; logged.</summary>
    public bool SkipCertificateVerification { get; set; }

    /// <summary>
    /// The last checkpoint, set by the environment on resume and wake (<c>RUNTARA_CHECKPOINT_ID</c>).
    /// The SDK always replays from the top; the value only tells it that this is a relaunch.
    /// </summary>
    public string? CheckpointId { get; set; }

    /// <summary>Path of <c>input.json</c> (<c>RUNTARA_INPUT_PATH</c>); the workflow input. None: the input is <c>{}</c>.</summary>
    public string? InputPath { get; set; }

    /// <summary>Path where <c>output.json</c> is written when the workflow ends (<c>RUNTARA_OUTPUT_PATH</c>).</summary>
    public string? OutputPath { get; set; }

    /// <summary>Scratch directory of this run (<c>RUNTARA_WORKSPACE_DIR</c>).</summary>
    public string? WorkspaceDirectory { get; set; }

    /// <summary>Background heartbeat interval (<c>RUNTARA_HEARTBEAT_INTERVAL_MS</c>, default 30 s); zero disables it.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed to connect and complete the TLS handshake (<c>RUNTARA_CONNECT_TIMEOUT_MS</c>, default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of each call to the core (<c>RUNTARA_REQUEST_TIMEOUT_MS</c>, default 30 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long calls to the core keep retrying while it is unreachable (a restart, a failover)
    /// before the run ends as "core unavailable" (<c>RUNTARA_CORE_UNAVAILABLE_TOLERANCE_MS</c>, default
    /// 5 minutes): <c>output.json</c> <c>failed</c> with <c>reason</c> <c>core_unavailable</c> and exit
    /// code 75, which the environment relaunches without using up the instance's retries.
    /// </summary>
    public TimeSpan CoreUnavailableTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often the instance asks the core for signals (cancel, pause) between checkpoints, and how
    /// often <c>WaitForSignalAsync</c> looks for its signal (<c>RUNTARA_SIGNAL_POLL_INTERVAL_MS</c>, SPEC §15.1, default 1 s).
    /// </summary>
    public TimeSpan SignalPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Sleeps shorter than this wait inside the process; longer ones ask the core to suspend the
    /// instance durably (the process then exits and is relaunched after the wake-up time). Default 5 s.
    /// </summary>
    public TimeSpan InProcessSleepThreshold { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a durable wait (for a signal, for children) waits inside the process, polling, before
    /// the instance is suspended: the core records what it waits for, the process exits, and the
    /// environment relaunches the instance when a signal, the children's ends or the deadline make it
    /// due. Zero suspends at once. Default 5 s (<c>RUNTARA_WAIT_GRACE_MS</c>).
    /// </summary>
    public TimeSpan WaitGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When set, the instance runs against the embedded engine: checkpoints, signals and events
    /// live in this SQLite file and no core is contacted (<c>RUNTARA_EMBEDDED_DB</c>; an SDK-only
    /// addition for running and unit-testing workflows without a core). Needs the Runtara.Sdk.Embedded
    /// package and its <c>options.UseEmbeddedEngine()</c>.
    /// </summary>
    public string? EmbeddedDatabasePath { get; set; }

    /// <summary>Opens the embedded backend for <see cref="EmbeddedDatabasePath"/>; set by Runtara.Sdk.Embedded's <c>UseEmbeddedEngine()</c>.</summary>
    internal Func<RuntaraInstanceOptions, ILoggerFactory, (IInstanceBackend Backend, string Name)>? EmbeddedBackendFactory { get; set; }

    /// <summary>The retry policy of steps that do not bring their own (default: <see cref="RetryPolicy.Default"/>).</summary>
    public RetryPolicy DefaultRetryPolicy { get; set; } = RetryPolicy.Default;

    /// <summary>
    /// Serializer settings used by the overloads without a <c>JsonTypeInfo</c>. Name a source-generated
    /// context with <see cref="UseJsonContext"/> to stay free of reflection (required in native AOT apps).
    /// </summary>
    public JsonSerializerOptions SerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    /// <summary>The clock used for sleeps and retry delays (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>W3C trace context of the StartInstance call (<c>TRACEPARENT</c>): the workflow span joins that trace.</summary>
    public string? TraceParent { get; set; }

    /// <summary>W3C trace state that goes with <see cref="TraceParent"/> (<c>TRACESTATE</c>).</summary>
    public string? TraceState { get; set; }

    /// <summary>Disables the step Activities (the <c>Runtara.Sdk</c> ActivitySource is still defined).</summary>
    public bool DisableTracing { get; set; }

    /// <summary>Disables registration of the <c>Runtara.Sdk</c> meter with OpenTelemetry in <c>AddRuntaraInstance()</c>.</summary>
    public bool DisableMetrics { get; set; }

    /// <summary>Reads the launch contract's variables from the process environment.</summary>
    public static RuntaraInstanceOptions FromEnvironment()
    {
        InstanceEnvironment.ApplyLaunchFileToProcess();
        return FromEnvironment(name => System.Environment.GetEnvironmentVariable(name));
    }

    /// <summary>Reads the launch contract's variables through <paramref name="getVariable"/> (tests pass a dictionary).</summary>
    public static RuntaraInstanceOptions FromEnvironment(Func<string, string?> getVariable)
    {
        var options = new RuntaraInstanceOptions();
        InstanceEnvironment.Apply(options, getVariable);
        return options;
    }

    /// <summary>Throws <see cref="RuntaraConfigurationException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        var failure = RuntaraInstanceOptionsValidator.FindFailure(this, requireIdentity: true);
        if (failure is not null)
        {
            throw new RuntaraConfigurationException(failure.Value.Key, failure.Value.Message);
        }
    }

    /// <summary>
    /// Serializes the overloads without a <c>JsonTypeInfo</c> through <paramref name="context"/> (a
    /// source-generated <c>JsonSerializerContext</c>): <c>StepAsync&lt;T&gt;("key", action)</c> is then
    /// trimming- and AOT-safe for every type the context lists. The naming and number settings stay
    /// those of <see cref="SerializerOptions"/> (web defaults). Returns the options.
    /// </summary>
    public RuntaraInstanceOptions UseJsonContext(IJsonTypeInfoResolver context)
    {
        ArgumentNullException.ThrowIfNull(context);
        SerializerOptions.TypeInfoResolver = context;
        return this;
    }

    /// <summary>
    /// The metadata of <typeparamref name="T"/> from <see cref="SerializerOptions"/>: from its resolver
    /// (<see cref="UseJsonContext"/>), else by reflection where the app allows it. A trimmed or native AOT
    /// app disables reflection-based JSON by default; it must name a context, and a type missing from
    /// the context fails here with a message that says so.
    /// </summary>
    internal JsonTypeInfo<T> GetTypeInfo<T>()
    {
        if (!SerializerOptions.IsReadOnly)
        {
            SerializerOptions.TypeInfoResolver ??= JsonSerializer.IsReflectionEnabledByDefault ? ReflectionResolver() : null;
            if (SerializerOptions.TypeInfoResolver is null)
            {
                throw new InvalidOperationException(
                    $"Serializing {typeof(T).Name} needs a JsonTypeInfo: reflection-based JSON is disabled in this app (trimmed or native AOT). " +
                    "Call RuntaraInstanceOptions.UseJsonContext(YourJsonContext.Default) or pass a JsonTypeInfo.");
            }

            SerializerOptions.MakeReadOnly();
        }

        try
        {
            return (JsonTypeInfo<T>)SerializerOptions.GetTypeInfo(typeof(T));
        }
        catch (NotSupportedException ex)
        {
            throw new InvalidOperationException($"The JSON context set with UseJsonContext does not list {typeof(T).FullName}: add [JsonSerializable(typeof({typeof(T).Name}))] to it, or pass a JsonTypeInfo.", ex);
        }
    }

    // Reached only when reflection-based JSON is enabled, which trimmed and native AOT apps disable by
    // default (JsonSerializer.IsReflectionEnabledByDefault is a feature switch the trimmer honours).
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only used while JsonSerializer.IsReflectionEnabledByDefault is true.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Only used while JsonSerializer.IsReflectionEnabledByDefault is true.")]
    private static IJsonTypeInfoResolver ReflectionResolver() => new DefaultJsonTypeInfoResolver();
}
