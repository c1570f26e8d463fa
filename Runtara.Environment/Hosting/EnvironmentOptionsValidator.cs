using System.Net;
using Microsoft.Extensions.Options;
using Runtara.Protocol.Rpc;

namespace Runtara.Environment.Hosting;

/// <summary>Checks what data annotations cannot: addresses, intervals, and their relations.</summary>
internal sealed class EnvironmentOptionsValidator : IValidateOptions<EnvironmentOptions>
{
    private const string Prefix = EnvironmentOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, EnvironmentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!IPAddress.TryParse(options.BindAddress, out _))
        {
            failures.Add($"{Prefix}BindAddress '{options.BindAddress}' is not an IP address.");
        }

        CheckAddress(options.CoreAddress, "CoreAddress", failures);
        CheckAddress(options.CoreInstanceAddress, "CoreInstanceAddress", failures);
        CheckPositive(options.DefaultTimeout, "DefaultTimeout", failures);
        CheckPositive(options.DefaultStopGracePeriod, "DefaultStopGracePeriod", failures);
        CheckPositive(options.TerminateGracePeriod, "TerminateGracePeriod", failures);
        CheckPositive(options.WakeInterval, "WakeInterval", failures);
        CheckPositive(options.HeartbeatInterval, "HeartbeatInterval", failures);
        CheckPositive(options.HeartbeatTimeout, "HeartbeatTimeout", failures);
        CheckPositive(options.CleanupInterval, "CleanupInterval", failures);
        CheckPositive(options.RunRetention, "RunRetention", failures);
        CheckPositive(options.ProcessSampleInterval, "ProcessSampleInterval", failures);
        CheckPositive(options.InstanceTokenLifetime, "InstanceTokenLifetime", failures);
        CheckPositive(options.ServiceTokenLifetime, "ServiceTokenLifetime", failures);
        CheckPositive(options.RequestReadTimeout, "RequestReadTimeout", failures);
        foreach (var (keyName, key) in options.ApiKeys)
        {
            if (key.Key.Length < 16)
            {
                failures.Add($"{Prefix}ApiKeys:{keyName}:Key must be at least 16 characters.");
            }

            if (key.Tenants.Count == 0 || key.Tenants.Any(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{Prefix}ApiKeys:{keyName}:Tenants must list at least one tenant (or *).");
            }
        }

        if (options.ApiKeys.Values.Select(k => k.Key).Distinct(StringComparer.Ordinal).Count() != options.ApiKeys.Count)
        {
            failures.Add($"{Prefix}ApiKeys: two keys have the same secret.");
        }

        if (options.InstanceHeartbeatIntervalMs is < 0)
        {
            failures.Add($"{Prefix}InstanceHeartbeatIntervalMs must be 0 (off) or positive.");
        }

        if (!string.IsNullOrWhiteSpace(options.CoreTls.PinnedCertificatePath) && !File.Exists(options.CoreTls.PinnedCertificatePath))
        {
            failures.Add($"{Prefix}CoreTls:PinnedCertificatePath '{options.CoreTls.PinnedCertificatePath}' does not exist.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckAddress(string? value, string key, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        try
        {
            RpcAddress.Parse(value);
        }
        catch (FormatException ex)
        {
            failures.Add($"{Prefix}{key}: {ex.Message}");
        }
    }

    private static void CheckPositive(TimeSpan value, string key, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}{key} must be positive, got {value}.");
        }
    }
}
