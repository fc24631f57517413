-- Each app has its own database.
CREATE DATABASE ferry_scheduler;
CREATE DATABASE ferry_consumer;
CREATE DATABASE ferry_provider;
