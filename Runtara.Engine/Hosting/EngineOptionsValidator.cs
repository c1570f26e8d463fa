using Microsoft.Extensions.Options;
using Runtara.Protocol.Hosting;

namespace Runtara.Engine.Hosting;

/// <summary>
/// Every rule of <see cref="EngineOptions"/>: the attributes on it (checked by source-generated code)
/// and the storage choice, which attributes cannot express. Failures name the key under
/// <paramref name="settingsName"/>, the section the host binds the engine from (the core's <c>Runtara:Core</c>).
/// </summary>
internal sealed partial class EngineOptionsValidator(string settingsName) : IValidateOptions<EngineOptions>
{
    private readonly AttributeRules _attributes = new();

    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        builder.AddUnder(settingsName, _attributes.Validate(name, options));
        if (string.IsNullOrWhiteSpace(options.PostgresConnectionString) && string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            builder.AddError($"{settingsName}: set DatabasePath (SQLite) or PostgresConnectionString.");
        }

        return builder.Build();
    }

    [OptionsValidator]
    private sealed partial class AttributeRules : IValidateOptions<EngineOptions>;
}
