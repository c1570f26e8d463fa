using System.Net;
using Microsoft.Extensions.Options;
using Runtara.Protocol.Hosting;
using Runtara.Protocol.Rpc;

namespace Runtara.Environment.Hosting;

/// <summary>
/// Every rule of <see cref="EnvironmentOptions"/>: the attributes on it (ranges, required values and
/// positive durations, checked by source-generated code) and what attributes cannot express:
/// addresses, the API keys and a pinned certificate that must exist. Each failure names its key.
/// </summary>
internal sealed partial class EnvironmentOptionsValidator : IValidateOptions<EnvironmentOptions>
{
    private const string Prefix = EnvironmentOptions.SectionName + ":";
    private readonly AttributeRules _attributes = new();

    public ValidateOptionsResult Validate(string? name, EnvironmentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        builder.AddUnder(EnvironmentOptions.SectionName, _attributes.Validate(name, options));
        if (!IPAddress.TryParse(options.BindAddress, out _))
        {
            builder.AddError($"{Prefix}BindAddress '{options.BindAddress}' is not an IP address.");
        }

        if (Runtara.Protocol.Transport.TransportSupport.Problem(options.Transport) is { } transport)
        {
            builder.AddError($"{Prefix}Transport is {options.Transport}: {transport}");
        }

        CheckAddress(options.CoreAddress, "CoreAddress", builder);
        CheckAddress(options.CoreInstanceAddress, "CoreInstanceAddress", builder);
        if ((long)options.InstanceUidFirst + options.InstanceUidCount - 1 > int.MaxValue)
        {
            builder.AddError($"{Prefix}InstanceUidFirst + InstanceUidCount must stay below 2^31.");
        }
        if (options.ScheduleLease > options.ScheduleCatchUpGrace)
        {
            // A fire retried after its claim expired must still be on time, or catch-up policy SKIP would drop it.
            builder.AddError($"{Prefix}ScheduleLease must not exceed {Prefix}ScheduleCatchUpGrace.");
        }

        if (options.RunLeaseRenewInterval >= options.RunLease)
        {
            // A lease renewed less often than it lasts expires under a live environment, which others then take over.
            builder.AddError($"{Prefix}RunLeaseRenewInterval must be below {Prefix}RunLease.");
        }

        if (options.EnvironmentId is { Length: > 0 } environmentId && (string.IsNullOrWhiteSpace(environmentId) || environmentId.Any(char.IsControl)))
        {
            builder.AddError($"{Prefix}EnvironmentId must be printable characters (or unset for the default).");
        }

        foreach (var (keyName, key) in options.ApiKeys)
        {
            if (key.Key.Length < 16)
            {
                builder.AddError($"{Prefix}ApiKeys:{keyName}:Key must be at least 16 characters.");
            }

            if (key.Tenants.Count == 0 || key.Tenants.Any(string.IsNullOrWhiteSpace))
            {
                builder.AddError($"{Prefix}ApiKeys:{keyName}:Tenants must list at least one tenant (or *).");
            }
        }

        if (options.ApiKeys.Values.Select(k => k.Key).Distinct(StringComparer.Ordinal).Count() != options.ApiKeys.Count)
        {
            builder.AddError($"{Prefix}ApiKeys: two keys have the same secret.");
        }

        if (!string.IsNullOrWhiteSpace(options.CoreTls.PinnedCertificatePath) && !File.Exists(options.CoreTls.PinnedCertificatePath))
        {
            builder.AddError($"{Prefix}CoreTls:PinnedCertificatePath '{options.CoreTls.PinnedCertificatePath}' does not exist.");
        }

        return builder.Build();
    }

    private static void CheckAddress(string? value, string key, ValidateOptionsResultBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        try
        {
            RpcAddress.ParseList(value);
        }
        catch (FormatException ex)
        {
            builder.AddError($"{Prefix}{key}: {ex.Message}");
        }
    }

    [OptionsValidator]
    private sealed partial class AttributeRules : IValidateOptions<EnvironmentOptions>;
}
