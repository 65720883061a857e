/** The sites benchmarks' input: a 20-line template with six ${site:...} placeholders and one ${env:...}, and n CSV rows with quotes, `:` and `#`. */
export const TEMPLATE = `#cloud-config
stylus:
  site:
    paletteEndpoint: api.spectrocloud.com
    edgeHostToken: \${env:EDGE_TOKEN}
    projectName: edge-fleet
    name: \${site:name}
    tags:
      city: \${site:city}
      store: \${site:store}
    network:
      staticIp:
        ipCidr: \${site:ip}
        gateway: \${site:gateway}
        nameServers:
          - 10.0.0.53
install:
  poweroff: true
`;

export function sitesCsv(n) {
  const lines = ['name,city,store,ip,gateway'];
  for (let i = 0; i < n; i++) lines.push(`store-${String(i).padStart(5, '0')},"City ${i % 97}: ""east""",${String(i).padStart(4, '0')},10.${(i >> 8) & 255}.${i & 255}.10/24,10.${(i >> 8) & 255}.${i & 255}.1`);
  return `${lines.join('\n')}\n`;
}
