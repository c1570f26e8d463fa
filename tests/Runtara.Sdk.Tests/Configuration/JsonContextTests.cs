using Runtara.Sdk.Tests.Scenarios;

namespace Runtara.Sdk.Tests.Configuration;

public sealed class JsonContextTests
{
    [Fact]
    public void A_named_context_serves_the_overloads_without_a_type_info()
    {
        var options = new RuntaraInstanceOptions().UseJsonContext(ScenarioJson.Default);

        var typeInfo = options.GetTypeInfo<Receipt>();

        Assert.Same(ScenarioJson.Default, options.SerializerOptions.TypeInfoResolver);
        Assert.Equal("{\"reservation\":\"r\",\"charge\":1,\"approvedBy\":null}", System.Text.Json.JsonSerializer.Serialize(new Receipt("r", 1), typeInfo));
    }

    [Fact]
    public void A_type_the_context_does_not_list_fails_with_a_message_that_says_what_to_add()
    {
        var options = new RuntaraInstanceOptions().UseJsonContext(ScenarioJson.Default);

        var error = Assert.Throws<InvalidOperationException>(() => options.GetTypeInfo<Uri>());

        Assert.Contains("[JsonSerializable(typeof(Uri))]", error.Message, StringComparison.Ordinal);
    }
}
