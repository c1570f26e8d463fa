using Microsoft.Extensions.Options;

namespace Runtara.Management;

/// <summary>The attribute rules of <see cref="ManagementClientOptions"/>, checked by source-generated code (no reflection).</summary>
[OptionsValidator]
internal sealed partial class ManagementClientOptionsValidator : IValidateOptions<ManagementClientOptions>;
