import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { s3Client, uniqueName } from './support/aws';

describe('the local S3 (LocalStack)', () => {
  const s3 = s3Client();
  const bucket = uniqueName('it-s3');

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(() => s3.destroy());

  it('stores an object and returns it byte for byte, under a key with spaces and non-ASCII', async () => {
    const key = 'raw/2018-11-01 events/Ça plane + more.csv';
    const body = 'artist,song\r\n"Phoenix-Mesa-Scottsdale, AZ",Björk\r\n';
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await got.Body?.transformToString('utf8')).toBe(body);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(Buffer.byteLength(body));
    expect(head.ETag).toBe(put.ETag);
  });

  it('answers NoSuchKey for a missing object', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'absent.csv' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
  });
});
