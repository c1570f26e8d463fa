using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Runtara.Protocol.Hosting;

/// <summary>
/// Shared pieces of the servers' options validation. Each server's validator runs the rules its
/// options declare as attributes (an <c>[OptionsValidator]</c> source-generated validator) and then
/// the cross-field checks attributes cannot express, so one type holds every rule of one options class.
/// </summary>
public static class SettingsValidation
{
    /// <summary>
    /// Adds <paramref name="attributeRules"/>'s failures with <paramref name="section"/> in front, so a
    /// failure such as <c>InstancePort: The field … must be between 0 and 65535.</c> reads
    /// <c>Runtara:Core:InstancePort: …</c> and names the full configuration key.
    /// </summary>
    public static void AddUnder(this ValidateOptionsResultBuilder builder, string section, ValidateOptionsResult attributeRules)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(attributeRules);
        foreach (var failure in attributeRules.Failures ?? [])
        {
            builder.AddError($"{section}:{failure}");
        }
    }
}

/// <summary>A <see cref="TimeSpan"/> setting that must be greater than zero.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PositiveDurationAttribute : ValidationAttribute
{
    /// <inheritdoc />
    public override bool IsValid(object? value) => value is not TimeSpan span || span > TimeSpan.Zero;

    /// <inheritdoc />
    public override string FormatErrorMessage(string name) => $"{name} must be positive.";
}

/// <summary>A <see cref="TimeSpan"/> setting that must not be negative (zero usually means "off" or "at once").</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotNegativeDurationAttribute : ValidationAttribute
{
    /// <inheritdoc />
    public override bool IsValid(object? value) => value is not TimeSpan span || span >= TimeSpan.Zero;

    /// <inheritdoc />
    public override string FormatErrorMessage(string name) => $"{name} must not be negative.";
}
