using System.Net;
using Microsoft.Extensions.Options;
using Runtara.Protocol.Hosting;

namespace Runtara.Core.Hosting;

/// <summary>
/// Every rule of <see cref="CoreOptions"/>: the attributes on it (checked by source-generated code,
/// no reflection) and the checks attributes cannot express. Each failure names its key under <c>Runtara:Core</c>.
/// </summary>
internal sealed partial class CoreOptionsValidator : IValidateOptions<CoreOptions>
{
    private const string Prefix = CoreOptions.SectionName + ":";
    private readonly AttributeRules _attributes = new();

    public ValidateOptionsResult Validate(string? name, CoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        builder.AddUnder(CoreOptions.SectionName, _attributes.Validate(name, options));
        if (options.InstancePort != 0 && options.InstancePort == options.ManagementPort)
        {
            builder.AddError($"{Prefix}InstancePort and ManagementPort must differ.");
        }

        if (options.ManagementRequireClientCertificate && string.IsNullOrWhiteSpace(options.ManagementClientCaCertificatePath))
        {
            builder.AddError($"{Prefix}ManagementClientCaCertificatePath is required when ManagementRequireClientCertificate is true.");
        }

        if (!IPAddress.TryParse(options.BindAddress, out _))
        {
            builder.AddError($"{Prefix}BindAddress must be an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::).");
        }

        if (Runtara.Protocol.Transport.TransportSupport.Problem(options.Transport) is { } transport)
        {
            builder.AddError($"{Prefix}Transport is {options.Transport}: {transport}");
        }

        if (options.InstanceSocket && !string.IsNullOrWhiteSpace(options.InstanceSocketPath)
            && System.Text.Encoding.UTF8.GetByteCount(Path.GetFullPath(options.InstanceSocketPath, Directory.GetCurrentDirectory())) > CoreOptions.MaxSocketPathBytes)
        {
            builder.AddError($"{Prefix}InstanceSocketPath is longer than a Unix socket address allows ({CoreOptions.MaxSocketPathBytes} bytes as an absolute path).");
        }

        return builder.Build();
    }

    [OptionsValidator]
    private sealed partial class AttributeRules : IValidateOptions<CoreOptions>;
}
