using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Runtara.Environment.Runner.Oci;
using Runtara.Protocol.Hosting;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Environment.Hosting;

/// <summary>
/// Settings of the environment server, bound from <c>Runtara:Environment</c> (environment variables
/// such as <c>Runtara__Environment__Port</c> work too) and validated at start-up; a bad value stops
/// the service with a message naming the key. See docs/environment.md.
/// </summary>
public sealed class EnvironmentOptions : IRpcServerSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Runtara:Environment";

    /// <summary>Port of the environment protocol. 0 picks a free port (written to <c>environment.endpoints.json</c>).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 8002;

    /// <summary>Address the environment protocol binds to: <c>127.0.0.1</c> (default), <c>0.0.0.0</c>, <c>::</c> or a specific address.</summary>
    [Required]
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Auto: TLS/TCP always plus QUIC where msquic exists; Tcp; Quic (fails at start-up without QUIC).</summary>
    public TransportKind Transport { get; set; } = TransportKind.Auto;

    /// <summary>Data directory: images, run directories, SQLite file, development certificate.</summary>
    [Required]
    public string DataDirectory { get; set; } = "./data";

    /// <summary>PostgreSQL connection string; empty = SQLite <c>&lt;data&gt;/environment.db</c>. Falls back to <c>ConnectionStrings:runtara-postgres</c>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>
    /// Management-protocol address of the core: <c>host:port</c> or <c>tcp://host:port</c>, or a
    /// comma-separated list of the cores of one database (<c>host1:8003,host2:8003</c>: a call that cannot
    /// connect to one is made to the next, docs/core.md "Several cores"). When not set, Aspire's
    /// <c>services:core:management:0</c> is used, else <c>127.0.0.1:8003</c>.
    /// </summary>
    public string? CoreAddress { get; set; }

    /// <summary>
    /// Instance-protocol address of the core handed to instances as <c>RUNTARA_SERVER_ADDR</c> (a list
    /// like <see cref="CoreAddress"/> is handed on as it is). When not set: Aspire's
    /// <c>services:core:instance:0</c>, else each core address's host with port 8001.
    /// </summary>
    public string? CoreInstanceAddress { get; set; }

    /// <summary>The instance addresses of the cores at <paramref name="coreAddress"/> (one or a list): each host with port 8001.</summary>
    public static string DefaultInstanceAddress(string coreAddress) =>
        string.Join(",", RpcAddress.ParseList(coreAddress).Select(address => new RpcAddress(address.Host, 8001)));

    /// <summary>
    /// The core's instance socket (its <c>Runtara:Core:InstanceSocketPath</c>, default
    /// <c>&lt;core data&gt;/instance.sock</c>) when the core runs on this machine. While that socket exists,
    /// launched instances get <c>unix:&lt;path&gt;</c> as <c>RUNTARA_SERVER_ADDR</c> and skip the TLS handshake
    /// (each new process would otherwise spend ~70 ms of CPU loading the system certificate store);
    /// otherwise they get <see cref="CoreInstanceAddress"/>. The Aspire integration sets it.
    /// </summary>
    public string? CoreInstanceSocket { get; set; }

    /// <summary>How the environment (and the instances it launches) trust the core's certificate.</summary>
    public ClientTlsOptions CoreTls { get; set; } = new();

    /// <summary>Server certificate of the environment protocol; a development certificate in <c>&lt;data&gt;/tls</c> when empty.</summary>
    public ServerTlsOptions Tls { get; set; } = new();

    /// <summary>Largest image accepted, in bytes (default 256 MiB); larger uploads are refused before they are stored.</summary>
    [Range(1, long.MaxValue)]
    public long MaxImageSize { get; set; } = 256L * 1024 * 1024;

    /// <summary>Most PENDING or RUNNING instances one tenant may have at once.</summary>
    [Range(1, 1_000_000)]
    public int MaxActiveInstancesPerTenant { get; set; } = 1_000;

    /// <summary>Execution timeout when StartInstance gives none (SPEC: 300 s).</summary>
    [PositiveDuration]
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Grace period of StopInstance when the request gives 0.</summary>
    [PositiveDuration]
    public TimeSpan DefaultStopGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>After SIGTERM, how long a process may take to exit before SIGKILL.</summary>
    [PositiveDuration]
    public TimeSpan TerminateGracePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Relaunches of a crashed or silent instance before it is marked failed, when StartInstance gives none.</summary>
    [Range(0, 100)]
    public int MaxRetries { get; set; }

    /// <summary>Bytes of stderr kept in the database for status (the whole log stays on disk).</summary>
    [Range(0, 1024 * 1024)]
    public int StderrTailBytes { get; set; } = 4096;

    /// <summary>Largest page a List RPC returns.</summary>
    [Range(1, 100_000)]
    public int MaxListLimit { get; set; } = 1_000;

    /// <summary><c>RUNTARA_HEARTBEAT_INTERVAL_MS</c> given to instances; null leaves the SDK default (30 s).</summary>
    [Range(0, int.MaxValue)]
    public int? InstanceHeartbeatIntervalMs { get; set; }

    /// <summary>
    /// Which OS user instances run as (docs/security.md). <see cref="InstanceUserMode.Auto"/> (default): a
    /// user of its own per run, taken from <see cref="InstanceUidFirst"/>.., when the environment runs as root
    /// and <see cref="SetprivPath"/> exists; otherwise the environment's own user, with one warning at start.
    /// </summary>
    public InstanceUserMode InstanceUsers { get; set; } = InstanceUserMode.Auto;

    /// <summary>First uid (and gid) of the range per-run users are taken from (default 200000; no <c>/etc/passwd</c> entry is needed).</summary>
    [Range(1, int.MaxValue)]
    public int InstanceUidFirst { get; set; } = 200_000;

    /// <summary>How many uids the range holds (default 65536): at most this many instances run at once.</summary>
    [Range(1, 1 << 24)]
    public int InstanceUidCount { get; set; } = 65_536;

    /// <summary>util-linux <c>setpriv</c>, which switches to the run's user inside the launch script.</summary>
    [Required]
    public string SetprivPath { get; set; } = "/usr/bin/setpriv";

    /// <summary>
    /// Whether the process runner puts each run in a cgroup of its own (<c>/&lt;Oci:CgroupParent&gt;/process-&lt;environment&gt;/&lt;id&gt;</c>)
    /// with the run's memory, pids and CPU limits, and kills everything left in it when the run ends. Applies
    /// when the environment runs as root on Linux with cgroups mounted (docs/environment.md, "Process runner").
    /// </summary>
    public bool ProcessCgroups { get; set; } = true;

    /// <summary>Memory limit of a process-runner run, in MiB, when its image sets none (<c>memoryLimitMb</c>); empty = no limit.</summary>
    [Range(8, int.MaxValue)]
    public int? ProcessDefaultMemoryLimitMb { get; set; }

    /// <summary>Most processes and threads a process-runner run may have, when its image sets none (<c>pidsLimit</c>); default 1024.</summary>
    [Range(8, int.MaxValue)]
    public int? ProcessDefaultPidsLimit { get; set; } = 1024;

    /// <summary>CPU limit of a process-runner run in cores, when its image sets none (<c>cpuLimit</c>); empty = no limit.</summary>
    [Range(0.01, 1024)]
    public double? ProcessDefaultCpuLimit { get; set; }

    /// <summary>
    /// The network of a process-runner run when its image says none (<c>"network"</c>): <c>Host</c> (default:
    /// workflows call HTTP APIs) or <c>None</c> (a network namespace of its own, reaching the core through
    /// <see cref="CoreInstanceSocket"/>; needs root and <see cref="UnsharePath"/>).
    /// </summary>
    public ProcessNetwork ProcessNetwork { get; set; } = ProcessNetwork.Host;

    /// <summary>
    /// Warm processes the process runner keeps per image (0–64, default 0 = off) when its metadata has no
    /// <c>"warm"</c>: instance processes started ahead that a run's first launch is handed, for images whose
    /// code reads the launch file (the Runtara SDK does; docs/environment.md, "Warm processes").
    /// </summary>
    [Range(0, 64)]
    public int WarmProcesses { get; set; }

    /// <summary>util-linux <c>unshare</c>, which gives a process-runner run without network its own network namespace.</summary>
    [Required]
    public string UnsharePath { get; set; } = "/usr/bin/unshare";

    /// <summary>
    /// Which runner launches instances: <c>Process</c> (default, a plain child process) or <c>Oci</c> (a
    /// container, see <see cref="Oci"/>). An image's metadata <c>"runner"</c> overrides it for that image.
    /// </summary>
    public RunnerKind Runner { get; set; } = RunnerKind.Process;

    /// <summary>Settings of the OCI runner (<c>Runtara:Environment:Oci</c>): runtime, user, default limits.</summary>
    [ValidateObjectMembers]
    public OciOptions Oci { get; set; } = new();

    /// <summary>The <c>dotnet</c> host used for images whose entrypoint is a <c>.dll</c>; empty = the host running this server.</summary>
    public string? DotnetHostPath { get; set; }

    /// <summary>Wake scheduler: how often due wake-ups are asked for (SPEC: 5 s).</summary>
    [PositiveDuration]
    public TimeSpan WakeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Wake scheduler: most relaunches and child starts per poll (SPEC: 10).</summary>
    [Range(1, 10_000)]
    public int WakeBatchSize { get; set; } = 10;

    /// <summary>
    /// Wake scheduler: how long a relaunch or child start handed out by the core stays this environment's
    /// (its lease); one that failed, or a child start refused by the tenant's quota, is handed out again
    /// after it. Keep it above a process launch: a start still under way when it runs out is handed out
    /// again (harmless, starts are idempotent, but wasted). Default 30 s.
    /// </summary>
    [PositiveDuration]
    public TimeSpan WakeLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Wake scheduler: how long one ListDueWakeups call waits at the core for something to become due (a
    /// long poll, answered at once when a signal reaches a waiting instance or a child ends). Zero polls
    /// every <see cref="WakeInterval"/> instead. Default 20 s.
    /// </summary>
    [NotNegativeDuration]
    public TimeSpan WakeLongPoll { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Passed to every instance as <c>RUNTARA_WAIT_GRACE_MS</c> when set: how long a durable wait waits in
    /// the process before the instance suspends and exits. Empty = the SDK's default (5 s).
    /// </summary>
    public TimeSpan? InstanceWaitGracePeriod { get; set; }

    /// <summary>Schedule worker: how often due schedules are looked for (docs/operations.md "Schedules"). Default 1 s.</summary>
    [PositiveDuration]
    public TimeSpan ScheduleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Schedule worker: most schedules claimed per pass. Default 100.</summary>
    [Range(1, 10_000)]
    public int ScheduleBatchSize { get; set; } = 100;

    /// <summary>
    /// Schedule worker: how long a claimed schedule stays this environment's while its fires start; if the
    /// environment dies meanwhile, another claims it after this and starts the same fires again (their
    /// instance ids are derived from the fire time, so nothing starts twice). At most
    /// <see cref="ScheduleCatchUpGrace"/>, so such a retried fire is still on time. Default 30 s.
    /// </summary>
    [PositiveDuration]
    public TimeSpan ScheduleLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Schedule worker: a due fire found at most this late is on time and always starts; a later one was
    /// missed (downtime) and the schedule's catch-up policy decides. Default 60 s.
    /// </summary>
    [NotNegativeDuration]
    public TimeSpan ScheduleCatchUpGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Heartbeat monitor: how often silent instances are looked for (SPEC: 30 s).</summary>
    [PositiveDuration]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Heartbeat monitor: an instance with no activity at the core for this long is failed or retried (SPEC: 120 s).</summary>
    [PositiveDuration]
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Cleanup worker: how often old run directories are removed (SPEC: 1 h).</summary>
    [PositiveDuration]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Cleanup worker: run directories of finished instances older than this are removed (SPEC: 24 h).</summary>
    [PositiveDuration]
    public TimeSpan RunRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often a running process is sampled for peak memory and CPU time.</summary>
    [PositiveDuration]
    public TimeSpan ProcessSampleInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a graceful stop waits for in-flight RPCs.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Keys that sign instance tokens (handed to instances as <c>RUNTARA_INSTANCE_TOKEN</c>) and the
    /// service token presented to the core: <c>Runtara:Environment:Security:Keys:&lt;id&gt;</c>,
    /// <c>SigningKeyId</c>, or a <c>KeyFile</c> (default <c>&lt;data&gt;/security/runtara.keys</c>).
    /// Must hold the core's keys. See docs/security.md.
    /// </summary>
    public TokenKeyOptions Security { get; set; } = new();

    /// <summary>
    /// API keys of the environment protocol by name: <c>ApiKeys:&lt;name&gt;:Key</c> (the secret, at least
    /// 16 characters) and <c>ApiKeys:&lt;name&gt;:Tenants</c> (the tenants it may touch; <c>*</c> for all).
    /// When none is configured, one all-tenant key is generated into <see cref="ApiKeyFile"/>.
    /// </summary>
    public Dictionary<string, ApiKeyOptions> ApiKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Where the generated all-tenant API key is kept when <see cref="ApiKeys"/> is empty (default <c>&lt;data&gt;/security/admin.apikey</c>).</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>Lifetime of the instance tokens minted at launch; instances renew them at the core before they expire (default 1 h).</summary>
    [PositiveDuration]
    public TimeSpan InstanceTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Lifetime of the service token the environment presents to the core; re-minted at half-life (default 10 min).</summary>
    [PositiveDuration]
    public TimeSpan ServiceTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Open connections to the environment protocol; more are refused with RESOURCE_EXHAUSTED.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Largest RPC frame payload, in bytes (default 64 MiB; images larger than that are streamed in chunks).</summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxFrameSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>Largest frame payload a connection may send before one of its requests carried a valid credential (default 64 KiB; docs/security.md).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxUnauthenticatedFrameSize { get; set; } = RpcServerOptions.DefaultMaxUnauthenticatedFrameSize;

    /// <summary>Concurrent RPCs per QUIC connection.</summary>
    [Range(1, 65535)]
    public int MaxConcurrentStreamsPerConnection { get; set; } = 1_000;

    /// <summary>RPCs one connection may make per second (per open stream on QUIC); more get RESOURCE_EXHAUSTED. 0 = no limit.</summary>
    [Range(0, int.MaxValue)]
    public int MaxRequestsPerSecondPerConnection { get; set; } = 10_000;

    /// <summary>Once a request has begun, its frame must arrive within this time or the connection is closed (slow-client protection).</summary>
    [PositiveDuration]
    public TimeSpan RequestReadTimeout { get; set; } = TimeSpan.FromSeconds(30);

    // Several environments on one database (docs/environment.md, "Several environments"): kept together in one block.

    /// <summary>
    /// This environment's identity: the owner recorded on the runs it launches and on the schedules it claims.
    /// Empty (default) = <c>{machine name}-{first 8 hex of the SHA-256 of the data directory}</c>, stable across
    /// restarts (a restarted environment resumes ownership of its runs at once) and different for two
    /// environments on one machine. At most 128 printable characters.
    /// </summary>
    [MaxLength(128)]
    public string? EnvironmentId { get; set; }

    /// <summary>
    /// How long a pending or running run stays this environment's without a renewal; another environment on the
    /// same database takes over a run whose lease expired (relaunches it from its last checkpoint). Default 30 s.
    /// </summary>
    [PositiveDuration]
    public TimeSpan RunLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the leases of this environment's runs are renewed and expired leases of others taken over; below <see cref="RunLease"/>. Default 10 s.</summary>
    [PositiveDuration]
    public TimeSpan RunLeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most runs with an expired lease one pass takes over. Default 100.</summary>
    [Range(1, 10_000)]
    public int TakeoverBatchSize { get; set; } = 100;

    /// <summary><see cref="EnvironmentId"/> when set, else the default derived from the machine and the data directory.</summary>
    public string ResolveEnvironmentId()
    {
        if (!string.IsNullOrWhiteSpace(EnvironmentId))
        {
            return EnvironmentId;
        }

        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ResolveDataDirectory()));
        return $"{System.Environment.MachineName}-{Convert.ToHexStringLower(hash)[..8]}";
    }

    /// <summary>
    /// A short name of an environment for what environments on one machine must not share (cgroups, the OCI
    /// runtime's state): the first 8 hex digits of the SHA-256 of its id.
    /// </summary>
    public static string ScopeOf(string environmentId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(environmentId)))[..8];

    /// <summary>The data directory as an absolute path.</summary>
    public string ResolveDataDirectory() => Path.GetFullPath(DataDirectory, Directory.GetCurrentDirectory());
}

/// <summary>One API key of the environment protocol.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The secret the client presents (<c>--api-key</c>, <c>RUNTARA_API_KEY</c>).</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>Tenants this key may act for; <c>*</c> means every tenant.</summary>
    public List<string> Tenants { get; set; } = [];
}

/// <summary>The network of a process-runner run (<see cref="EnvironmentOptions.ProcessNetwork"/>).</summary>
public enum ProcessNetwork
{
    /// <summary>The host's network (default).</summary>
    Host,

    /// <summary>A network namespace of its own with no interface up: only the core's Unix instance socket is reachable.</summary>
    None,
}

/// <summary>Which OS user instance processes run as (<see cref="EnvironmentOptions.InstanceUsers"/>).</summary>
public enum InstanceUserMode
{
    /// <summary>A user per run when the environment runs as root and setpriv exists; else the environment's own user (with a warning).</summary>
    Auto,

    /// <summary>A user per run; the environment refuses to start when it cannot switch users.</summary>
    PerRun,

    /// <summary>The environment's own user (instances can read everything the environment can).</summary>
    Off,
}
