<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>redrive::ui::AuditView</name>
    <message numerus="yes">
        <source>%n audit records exported to %1</source>
        <translation>
            <numerusform>%n audit record exported to %1</numerusform>
            <numerusform>%n audit records exported to %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>redrive::ui::EntryDetailView</name>
    <message numerus="yes">
        <source>Status %1 after %n retries</source>
        <translation>
            <numerusform>Status %1 after %n retry</numerusform>
            <numerusform>Status %1 after %n retries</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>redrive::ui::GenesysRegisterDialog</name>
    <message numerus="yes">
        <source>✓ %n topics available.</source>
        <translation>
            <numerusform>✓ %n topic available.</numerusform>
            <numerusform>✓ %n topics available.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>✓ %n workflows available.</source>
        <translation>
            <numerusform>✓ %n workflow available.</numerusform>
            <numerusform>✓ %n workflows available.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>redrive::ui::OverviewPage</name>
    <message numerus="yes">
        <source>%n workers on this Redis</source>
        <translation>
            <numerusform>%n worker on this Redis</numerusform>
            <numerusform>%n workers on this Redis</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n arrivals in the last 24 hours</source>
        <translation>
            <numerusform>%n arrival in the last 24 hours</numerusform>
            <numerusform>%n arrivals in the last 24 hours</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more groups</source>
        <translation>
            <numerusform>… and %n more group</numerusform>
            <numerusform>… and %n more groups</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>redrive::ui::QueueTableModel</name>
    <message numerus="yes">
        <source>Retried %n times after the delivery that failed</source>
        <translation>
            <numerusform>Retried once after the delivery that failed</numerusform>
            <numerusform>Retried %n times after the delivery that failed</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>redrive::ui::QueueView</name>
    <message numerus="yes">
        <source>%n entries</source>
        <translation>
            <numerusform>%n entry</numerusform>
            <numerusform>%n entries</numerusform>
        </translation>
    </message>
</context>
</TS>
