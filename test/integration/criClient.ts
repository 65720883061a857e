/**
 * A CRI client for one call, ImageService.PullImage, over containerd's unix
 * socket: what the kubelet sends when it pulls with the credentials a
 * credential provider returned.
 */
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('../fixtures/cri/image-service.proto', import.meta.url));

interface ImageServiceClient {
  PullImage(request: object, callback: (error: ServiceError | null, response: { image_ref: string }) => void): void;
  close(): void;
}
type ImageServiceConstructor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => ImageServiceClient;

export function pullThroughCri(socket: string, image: string, auth: { username: string; password: string } | undefined): Promise<string> {
  const definition = loadPackageDefinition(loadSync(PROTO, { keepCase: true })) as unknown as { runtime: { v1: { ImageService: ImageServiceConstructor } } };
  const client = new definition.runtime.v1.ImageService(`unix://${socket}`, credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    client.PullImage({ image: { image }, ...(auth ? { auth } : {}) }, (error, response) => {
      client.close();
      if (error) reject(new Error(error.details || error.message));
      else resolve(response.image_ref);
    });
  });
}
