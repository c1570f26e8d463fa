namespace Runtara.Protocol.Contracts;

/// <summary>
/// The environment variables of the instance launch contract (docs/instance-contract.md): the one
/// list of names the environment sets and the SDK reads. Change the page first, then these.
/// </summary>
public static class LaunchVariables
{
    /// <summary>The instance id (required).</summary>
    public const string InstanceId = "RUNTARA_INSTANCE_ID";

    /// <summary>The tenant the instance belongs to (required).</summary>
    public const string TenantId = "RUNTARA_TENANT_ID";

    /// <summary>The instance token presented in every request's <c>credential</c> field (set by the environment; never logged).</summary>
    public const string InstanceToken = "RUNTARA_INSTANCE_TOKEN";

    /// <summary>The core's instance-protocol address: <c>host:port</c>, <c>[v6]:port</c>, <c>tcp://host:port</c> or <c>unix:/path</c> (the core's instance socket, no TLS) (default <c>127.0.0.1:8001</c>); or a comma-separated list <c>host1:port1,host2:port2</c> of interchangeable cores, failed over in order.</summary>
    public const string ServerAddress = "RUNTARA_SERVER_ADDR";

    /// <summary>The TLS name to verify (default: the host, or <c>localhost</c> for IP literals).</summary>
    public const string ServerName = "RUNTARA_SERVER_NAME";

    /// <summary><c>auto</c> (default), <c>quic</c> or <c>tcp</c>.</summary>
    public const string Transport = "RUNTARA_TRANSPORT";

    /// <summary>Path of a PEM certificate to pin (how instances trust a development certificate).</summary>
    public const string PinnedCertificate = "RUNTARA_TLS_PINNED_CERT";

    /// <summary>Path of a PEM CA bundle to trust instead of the system store.</summary>
    public const string CaCertificate = "RUNTARA_TLS_CA_CERT";

    /// <summary><c>true</c>/<c>1</c>: accept any certificate (dangerous; logged).</summary>
    public const string SkipCertificateVerification = "RUNTARA_SKIP_CERT_VERIFICATION";

    /// <summary>Set on resume and wake: the last checkpoint (the SDK replays from the top regardless).</summary>
    public const string CheckpointId = "RUNTARA_CHECKPOINT_ID";

    /// <summary>Path of <c>input.json</c>, the StartInstance input (<c>{}</c> when none).</summary>
    public const string InputPath = "RUNTARA_INPUT_PATH";

    /// <summary>Path where the SDK writes <c>output.json</c> (<see cref="InstanceOutput"/>) when the workflow ends.</summary>
    public const string OutputPath = "RUNTARA_OUTPUT_PATH";

    /// <summary>Scratch directory of this run.</summary>
    public const string WorkspaceDirectory = "RUNTARA_WORKSPACE_DIR";

    /// <summary>Background heartbeat interval in milliseconds (default 30000); 0 disables.</summary>
    public const string HeartbeatIntervalMs = "RUNTARA_HEARTBEAT_INTERVAL_MS";

    /// <summary>Connect timeout in milliseconds (default 10000).</summary>
    public const string ConnectTimeoutMs = "RUNTARA_CONNECT_TIMEOUT_MS";

    /// <summary>Per-call deadline in milliseconds (default 30000).</summary>
    public const string RequestTimeoutMs = "RUNTARA_REQUEST_TIMEOUT_MS";

    /// <summary>
    /// How long the SDK keeps retrying a core it cannot reach before the run ends as "core
    /// unavailable" (<see cref="InstanceOutputReason.CoreUnavailable"/>, exit code 75), in milliseconds (default 300000).
    /// </summary>
    public const string CoreUnavailableToleranceMs = "RUNTARA_CORE_UNAVAILABLE_TOLERANCE_MS";

    /// <summary>W3C trace context of the StartInstance call, so the instance's spans join its trace.</summary>
    public const string TraceParent = "TRACEPARENT";

    /// <summary>W3C trace state accompanying <see cref="TraceParent"/>.</summary>
    public const string TraceState = "TRACESTATE";

    /// <summary>Read by the SDK only (the environment does not set it): how often the SDK polls for signals, in milliseconds (default 1000, SPEC §15.1).</summary>
    public const string SignalPollIntervalMs = "RUNTARA_SIGNAL_POLL_INTERVAL_MS";

    /// <summary>How long a durable wait (signal, children) waits in the process before the instance suspends and exits, in ms (0 = suspend at once). SDK default 5000.</summary>
    public const string WaitGraceMs = "RUNTARA_WAIT_GRACE_MS";

    /// <summary>
    /// Path of a launch file (<see cref="LaunchFile"/>, a JSON object of variable names to values) whose
    /// variables override the process environment's. Set by the OCI runner's warm containers, which are
    /// created before their run's variables are known (docs/instance-contract.md, "Launch file").
    /// </summary>
    public const string LaunchFile = "RUNTARA_LAUNCH_FILE";

    /// <summary>Read by the SDK only: path of a SQLite file to run against the SDK's embedded backend instead of a core.</summary>
    public const string EmbeddedDatabase = "RUNTARA_EMBEDDED_DB";
}
