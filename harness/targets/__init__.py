"""Client factories the harness judges.

A factory has the signature ``factory(provider, base_url, api_key, *, async_client=False)`` and
returns an ``openai.OpenAI`` (``openai.AsyncOpenAI`` when ``async_client``).
"""
