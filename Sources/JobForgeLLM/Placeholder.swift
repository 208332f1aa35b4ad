// JobForgeLLM
