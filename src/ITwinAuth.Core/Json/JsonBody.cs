using System;
using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>A JSON response body taken whole (an object, an array, an error body): no page, no next link.</summary>
public sealed class JsonBody : IDisposable
{
    private readonly JsonDocument _document;
    private readonly string _target;
    private readonly int _maximumValues;

    private JsonBody(JsonDocument document, string target, int maximumValues)
    {
        _document = document;
        _target = target;
        _maximumValues = maximumValues;
    }

    /// <summary>True when the body is a JSON array (its items are written one by one).</summary>
    public bool IsArray => _document.RootElement.ValueKind == JsonValueKind.Array;

    /// <summary>The body, made with <paramref name="factory"/>.</summary>
    public object? Convert(JsonValueFactory factory) => JsonValues.Convert(_document.RootElement, factory, new ConversionBudget(_target, _maximumValues));

    /// <summary>
    /// The one value an envelope wraps: {"user": {...}} gives the user, {"iTwins": [...], "_links": ...}
    /// the array. A body with more than that one property (besides _links) is given whole.
    /// </summary>
    public object? ConvertUnwrapped(JsonValueFactory factory, out bool isArray)
    {
        var value = Envelope.Wrapped(_document.RootElement) ?? _document.RootElement;
        isArray = value.ValueKind == JsonValueKind.Array;
        return JsonValues.Convert(value, factory, new ConversionBudget(_target, _maximumValues));
    }

    /// <param name="maximumValues">What the body may become (<see cref="HttpCall.MaximumValues"/>).</param>
    public static JsonBody Read(HttpResult result, int maximumValues = ConversionBudget.MaximumValues)
    {
        var document = JsonRead.TryParse(result.Body, maximumValues, out var tooComplex);
        if (tooComplex) throw ConversionBudget.TooComplex(result.Target, maximumValues);
        return new(document ?? throw ApiErrors.NotJson(result), result.Target, maximumValues);
    }

    public void Dispose() => _document.Dispose();
}
