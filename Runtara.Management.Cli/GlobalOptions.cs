using System.CommandLine;
using Runtara.Protocol.Transport;

namespace Runtara.Management.Cli;

/// <summary>Options every command accepts; each falls back to its environment variable.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Address { get; } = new("--address", "-a") { Description = "Environment address host:port (env RUNTARA_ENVIRONMENT_ADDR, default 127.0.0.1:8002)", Recursive = true };

    public Option<string?> Tenant { get; } = new("--tenant", "-t") { Description = "Tenant id (env RUNTARA_TENANT_ID)", Recursive = true };

    public Option<string?> ApiKey { get; } = new("--api-key") { Description = "API key of the environment (env RUNTARA_API_KEY; a local environment writes one to <data>/security/admin.apikey)", Recursive = true };

    public Option<string?> PinnedCert { get; } = new("--pinned-cert") { Description = "PEM certificate of the environment to trust (env RUNTARA_TLS_PINNED_CERT)", Recursive = true };

    public Option<string?> PinnedCertSha256 { get; } = new("--pinned-cert-sha256") { Description = "SHA-256 fingerprint of the environment's certificate to trust, 64 hex digits, colons allowed (env RUNTARA_TLS_PINNED_CERT_SHA256)", Recursive = true };

    public Option<string?> CaCert { get; } = new("--ca-cert") { Description = "PEM CA bundle to trust (env RUNTARA_TLS_CA_CERT)", Recursive = true };

    public Option<string?> ServerName { get; } = new("--server-name") { Description = "TLS name to verify (env RUNTARA_SERVER_NAME)", Recursive = true };

    public Option<bool> Insecure { get; } = new("--insecure") { Description = "Do not verify the server certificate (dangerous; env RUNTARA_SKIP_CERT_VERIFICATION)", Recursive = true };

    public Option<TransportKind?> Transport { get; } = new("--transport") { Description = "auto, tcp or quic (env RUNTARA_TRANSPORT)", Recursive = true };

    public Option<OutputFormat> Output { get; } = new("--output", "-o") { Description = "table (for people) or json (for scripts)", Recursive = true, DefaultValueFactory = _ => OutputFormat.Table };

    public void AddTo(Command command)
    {
        command.Options.Add(Address);
        command.Options.Add(Tenant);
        command.Options.Add(ApiKey);
        command.Options.Add(PinnedCert);
        command.Options.Add(PinnedCertSha256);
        command.Options.Add(CaCert);
        command.Options.Add(ServerName);
        command.Options.Add(Insecure);
        command.Options.Add(Transport);
        command.Options.Add(Output);
    }

    /// <summary>Client settings: environment variables, overridden by the options given.</summary>
    public ManagementClientOptions ClientOptions(ParseResult result)
    {
        var options = ManagementClientOptions.FromEnvironment();
        options.Address = result.GetValue(Address) ?? options.Address;
        options.TenantId = result.GetValue(Tenant) ?? options.TenantId;
        options.ApiKey = result.GetValue(ApiKey) ?? options.ApiKey;
        options.PinnedCertificatePath = result.GetValue(PinnedCert) ?? options.PinnedCertificatePath;
        options.PinnedCertificateSha256 = result.GetValue(PinnedCertSha256) ?? options.PinnedCertificateSha256;
        options.CaCertificatePath = result.GetValue(CaCert) ?? options.CaCertificatePath;
        options.ServerName = result.GetValue(ServerName) ?? options.ServerName;
        options.SkipCertificateVerification |= result.GetValue(Insecure);
        options.Transport = result.GetValue(Transport) ?? options.Transport;
        return options;
    }
}

public enum OutputFormat
{
    Table,
    Json,
}
